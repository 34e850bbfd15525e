#!/bin/sh
# Registers Switchyard's search attributes; "already exists" is fine on re-runs.
set -u
for pair in SwitchyardTenant=Keyword SwitchyardKeyId=Keyword LlmModel=Keyword LlmProvider=Keyword \
            RequestKind=Keyword RequestOutcome=Keyword FallbackCount=Int CostUsd=Double; do
  name=${pair%%=*}
  type=${pair#*=}
  temporal operator search-attribute create --namespace default --name "$name" --type "$type" 2>&1 \
    | grep -v -i 'already exists' || true
done
temporal operator search-attribute list --namespace default >/dev/null
