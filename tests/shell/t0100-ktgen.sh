#!/bin/sh
# t0100-ktgen: the seeded generator (same seed, same bytes; every format well-formed;
# labels consistent with the log) and the scorer on a hand-made report.
. "$(dirname "$0")/../lib/tap.sh"
cd "$TMP" || exit 1
have_jq=0
command -v jq >/dev/null 2>&1 && have_jq=1

if [ ! -x "$KTGEN" ]; then
    skip "ktgen built" "no $KTGEN"
    done_testing
    exit 0
fi
G() { "$KTGEN" logs -q --keys 30 --days 40 --events 6000 "$@"; }

# --- determinism ------------------------------------------------------------------------
G --seed 11 --format csv --out a.csv --labels a.json
G --seed 11 --format csv --out b.csv --labels b.json
cmp -s a.csv b.csv && cmp -s a.json b.json
check $? "same seed gives identical bytes (csv and labels)"
G --seed 12 --format csv --out c.csv
! cmp -s a.csv c.csv
check $? "a different seed gives a different log"
mkdir ct1 ct2
G --seed 5 --format cloudtrail --gzip --file-hours 3 --out ct1
G --seed 5 --format cloudtrail --gzip --file-hours 3 --out ct2
(cd ct1 && find . -type f | sort | xargs cat | cksum) > s1
(cd ct2 && find . -type f | sort | xargs cat | cksum) > s2
cmp -s s1 s2
check $? "same seed gives identical CloudTrail trees (names and gzip bytes)"

# --- CSV ----------------------------------------------------------------------------------
head -1 a.csv | grep -qx 'timestamp,api_key,client_ip,method,path,status,bytes,user_agent'
check $? "csv header"
# fields outside quotes; every row has 8
awk '{ n = 1; q = 0; for (i = 1; i <= length($0); i++) { c = substr($0, i, 1);
       if (c == "\"") q = !q; else if (c == "," && !q) n++ } if (n != 8) bad++ }
     END { exit bad > 0 }' a.csv
check $? "csv rows have a constant field count (quoted user agents with commas)"
grep -q '"Mozilla/5.0 (.*, like Gecko)' a.csv
check $? "csv has quoted fields with embedded commas"
sort -c -t, -k1,1 a.csv 2>/dev/null || tail -n +2 a.csv | sort -c -t, -k1,1
check $? "csv rows are in time order"

# --- JSON formats -------------------------------------------------------------------------
for f in jsonl jsonl-flat vault github gcp; do
    G --seed 3 --format $f --out x.$f || echo "generation failed" > x.$f
done
if [ $have_jq = 1 ]; then
    jq -e 'select(.key.id and .client.ip and .request.method and .request.path and .status and .ts)' \
        x.jsonl > /dev/null && [ "$(jq -c . x.jsonl | wc -l)" -eq "$(wc -l < x.jsonl)" ]
    check $? "jsonl: every line parses, nested key.id/client.ip/request.*"
    jq -e 'select(.api_key and .client_ip and (.time | type == "number"))' x.jsonl-flat > /dev/null
    check $? "jsonl-flat: flat fields, epoch-ms time"
    jq -e 'select(.auth.accessor and .request.remote_address and .request.operation and
                  (.type == "request" or .type == "response"))' x.vault > /dev/null
    check $? "vault: audit device layout (auth.accessor, request.remote_address)"
    jq -e 'select(.hashed_token and .actor_ip and .action and (.["@timestamp"] | type == "number"))' \
        x.github > /dev/null
    check $? "github: hashed_token, actor_ip, action, @timestamp epoch ms"
    jq -e 'select(.protoPayload.authenticationInfo.serviceAccountKeyName and
                  .protoPayload.requestMetadata.callerIp and .protoPayload.methodName)' \
        x.gcp > /dev/null
    check $? "gcp: protoPayload.authenticationInfo.serviceAccountKeyName, callerIp, methodName"
    for f in $(find ct1 -name '*.json.gz' | head -50); do gzip -dc "$f"; echo; done |
        jq -e '.Records[] | select(.userIdentity.accessKeyId and .eventTime and .sourceIPAddress)' \
        > /dev/null
    check $? "cloudtrail: files parse as {\"Records\":[...]} with CloudTrail fields"
    found=0
    for f in $(find ct1 -name '*.json.gz'); do
        if gzip -dc "$f" | jq -e '[.Records[].eventTime] as $t | $t != ($t | sort)' > /dev/null; then
            found=1
            break
        fi
    done
    [ $found = 1 ]
    check $? "cloudtrail: records inside a delivered file are not sorted"
    for f in $(find ct1 -name '*.json.gz'); do gzip -dc "$f"; echo; done |
        jq -r '.Records[].sourceIPAddress' | sort -u > srcs
    grep -qx 'cloudformation.amazonaws.com' srcs && grep -q '^2a02:' srcs
    check $? "cloudtrail: a named source (CloudFormation) and IPv6 home addresses"
    jq -e '.leak_time and .key_days > 0 and (.keys | length) == 30 and
           ([.scenarios[] | select(.kind == "attack")] | length) == 8 and
           ([.scenarios[] | select(.kind == "benign_drift")] | length) >= 4 and
           all(.scenarios[]; .key and .start and .end)' a.json > /dev/null
    check $? "labels: valid JSON with leak time, key-days, keys and all scenarios"
    ok=0
    for ip in $(jq -r '.scenarios[] | select(.kind == "attack") | .attacker_ips[]' a.json); do
        grep -q ",$ip," a.csv || ok=1
    done
    [ $ok = 0 ]
    check $? "labels: every attacker IP appears in the log"
    ok=0
    for k in $(jq -r '.keys[].key' a.json); do grep -q ",$k," a.csv || ok=1; done
    [ $ok = 0 ]
    check $? "labels: keys are full keys that appear in the log"
else
    skip "JSON formats parse" "jq not installed"
fi

# --- rotating session keys -------------------------------------------------------------------
if [ $have_jq = 1 ]; then
    G --seed 9 --format cloudtrail --rotate-sessions --out rot.json --labels rot.l.json
    role=$(jq -r '[.keys[] | select(.rotates)][0].entity' rot.l.json)
    n=$(jq -r --arg r "$role" '[.Records[] | select(.userIdentity.sessionContext.sessionIssuer.arn == $r)
           | .userIdentity.accessKeyId] | unique | length' rot.json)
    [ "$n" -gt 20 ]
    check $? "--rotate-sessions: one role, a new ASIA id every hour ($n ids)"
    ok=0
    for sc in $(jq -r '.scenarios[] | select(.kind == "attack" and .entity) | "\(.key),\(.attacker_ips[0])"' rot.l.json); do
        jq -e --arg k "${sc%,*}" --arg ip "${sc#*,}" \
            'any(.Records[]; .userIdentity.accessKeyId == $k and .sourceIPAddress == $ip)' rot.json \
            > /dev/null || ok=1
    done
    [ $ok = 0 ]
    check $? "--rotate-sessions: attackers use the session key the labels name"
fi

# --- key file (the Stratus replay) -------------------------------------------------------------
if [ $have_jq = 1 ]; then
    printf '%s\n' '# key principal issuer' \
        'AKIAAM80VXLJF8NPK4VC arn:aws:iam::017622104382:user/christophe' \
        'ASIA4URVX2JM5MT0ZGK8 arn:aws:sts::321848314756:assumed-role/get-role/aws-go-sdk-1 arn:aws:iam::321848314756:role/get-role' \
        > keys.txt
    "$KTGEN" logs -q --format cloudtrail --key-file keys.txt --scenario none --start 2024-07-01T08:00:00Z \
        --days 30 --events 2000 --out kf.json
    jq -e '[.Records[].userIdentity | select(.accessKeyId == "ASIA4URVX2JM5MT0ZGK8")][0] |
           .sessionContext.sessionIssuer.arn == "arn:aws:iam::321848314756:role/get-role" and
           .accountId == "321848314756"' kf.json > /dev/null &&
        jq -e '[.Records[].userIdentity.accessKeyId] | unique == ["AKIAAM80VXLJF8NPK4VC", "ASIA4URVX2JM5MT0ZGK8"]' \
            kf.json > /dev/null &&
        jq -e '[.Records[].eventTime] | max < "2024-07-31T08:00:00Z"' kf.json > /dev/null
    check $? "--key-file: history for the given key ids, principals and issuers, ending before --start + days"
    printf 'AKIA"BAD\n' > bad.txt
    "$KTGEN" logs -q --format cloudtrail --key-file bad.txt --scenario none --out bad.json 2> /dev/null
    [ $? -eq 2 ]
    check $? "--key-file: a malformed line is refused"
fi

# --- line formats -------------------------------------------------------------------------
G --seed 3 --format combined --out x.combined
G --seed 3 --format combined-user --out x.cu
G --seed 3 --format conjur --out x.conjur
! grep -Evq '^[0-9a-f.:]+ - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0[12]00\] "[A-Z]+ /[^ ]*api_key=sk_live_[A-Za-z0-9]{24}|^[0-9a-f.:]+ - - \[.*api_key=rk_live_' x.combined
check $? "combined: Apache combined lines with ?api_key="
! grep -Evq '^[0-9a-f.:]+ - [rs]k_live_[A-Za-z0-9]{24} \[' x.cu
check $? "combined-user: key in the remote-user field"
! grep -Evq '^<(3[678]|8[46])>1 [0-9T:.-]+Z conjur-leader-0 conjur [0-9a-f]+ ([a-z]+ \[auth@43868 user="[^"]+"\]\[subject@43868 resource="[^"]+"\]|authn \[subject@43868 role="[^"]+"\]\[auth@43868 authenticator="[^"]+" service="[^"]+"\])\[client@43868 ip="[0-9a-f.:]+"\]\[action@43868 operation="[a-z]+" result="(success|failure)"\] ' x.conjur
check $? "conjur: RFC 5424 with auth/subject/client/action@43868"
grep -q '^<86>1 .* authn \[subject@43868 role=' x.conjur
check $? "conjur: authn messages name the role on subject@43868"
ls ct1/AWSLogs/*/CloudTrail/*/2024/??/??/*_CloudTrail_*_2024????T????Z_*.json.gz > /dev/null 2>&1
check $? "cloudtrail: S3 layout AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD"
G --seed 3 --format csv --gzip --out x.csv.gz && gzip -t x.csv.gz
check $? "--gzip writes gzip"
"$KTGEN" logs -q --format nosuch --out x 2> /dev/null
[ $? -eq 2 ]
check $? "unknown format is a usage error (exit 2)"
"$KTGEN" logs -q --keys 5 --out x 2> err
[ $? -eq 2 ] && grep -q 'raise --keys' err
check $? "too few keys for all scenarios is explained"

# --- leak_chain and the committed samples ------------------------------------------------------
if [ $have_jq = 1 ]; then
    G --seed 8 --format csv --scenario leak_chain --out lc.csv --labels lc.json
    ips=$(jq -r '.scenarios[0].attacker_ips | join(" ")' lc.json)
    set -- $ips
    [ $# -eq 3 ] && grep ",$1," lc.csv | grep -q ',TruffleHog$' && grep ",$2," lc.csv | grep -q 'Kali' &&
        grep ",$2,POST,/v1/webhook_endpoints," lc.csv > /dev/null &&
        [ "$(grep ",$1," lc.csv | cut -d, -f1 | sort | head -1)" \< \
          "$(grep ",$2," lc.csv | cut -d, -f1 | sort | head -1)" ]
    check $? "leak_chain: TruffleHog first, then a Kali box doing privilege operations"
    mkdir s
    if sh "$top/tools/make-samples.sh" "$KT_BUILD" "$TMP/s" > /dev/null 2> s.err; then
        diff -r "$SAMPLES" s > s.diff
        check $? "samples/ is what tools/make-samples.sh generates (run make samples)"
    else
        check 1 "make-samples.sh runs: $(cat s.err)"
    fi
    [ -z "$(find s -type f -size +199k)" ]
    check $? "every sample file is under 200 KB"
fi

# --- scorer on a hand-made report -----------------------------------------------------------
cat > labels.json <<'EOF'
{"key_days": 500, "leak_time": "2024-03-31T09:17:00Z",
 "scenarios": [
  {"name": "recon_burst", "kind": "attack", "key": "AKIAAAAAAAAAAAAAAAA1",
   "attacker_ips": ["035.009.000.001"], "start": "x", "end": "y"},
  {"name": "attack_tool_ua", "kind": "attack", "key": "AKIAAAAAAAAAAAAAAAA2",
   "attacker_ips": ["198.51.100.7", "198.51.100.8"], "start": "x", "end": "y"},
  {"name": "drift_sdk_patch", "kind": "benign_drift", "key": "AKIAAAAAAAAAAAAAAAA3",
   "attacker_ips": [], "start": "x", "end": "y"}],
 "keys": []}
EOF
cat > report.json <<'EOF'
{"keytrail": {"version": "0.1.0", "schema": 1},
 "incidents": [
  {"id": 1, "key": "AKIAAAAAAAAAAAAAAAA1", "ip": "35.9.0.1", "severity": "high", "score": 80},
  {"id": 2, "key": "AKIAAAAAAAAAAAAAAAA2", "ip": "198.51.100.7", "severity": "low", "score": 30},
  {"id": 3, "key": "AKIAAAAAAAAAAAAAAAA3", "ip": "52.28.1.1", "severity": "medium", "score": 50},
  {"id": 4, "key": "AKIAAAAAAAAAAAAAAAA3", "ip": "52.28.1.2", "severity": "info", "score": 5}],
 "anomalies": []}
EOF
"$KTGEN" score --labels labels.json --report report.json > score.out
check $? "score exits 0"
grep -qx 'TOTAL pairs_found=1 pairs=3 incidents_true=1 incidents=2 false=1 key_days=500' score.out
check $? "score: recall 1/3, precision 1/2, 1 false incident over 500 key-days"
grep -q '^recall     0.333' score.out && grep -q '^precision  0.500' score.out &&
    grep -q '^false      2.00 per 1000 key-days' score.out
check $? "score: printed ratios"
grep -q '^recon_burst .* 1/1 .*hit (high)' score.out &&
    grep -q '^attack_tool_ua .* 0/2 .*MISS (low)' score.out &&
    grep -q '^drift_sdk_patch .*FLAGGED' score.out
check $? "score: per-scenario hit, miss and flagged drift"
"$KTGEN" score --labels labels.json --report labels.json --min-severity low > s2.out
grep -q 'incidents=0' s2.out
check $? "score: a report without incidents scores zero incidents"
done_testing
