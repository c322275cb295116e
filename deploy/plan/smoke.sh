#!/usr/bin/env bash
# Smoke test of a revision on its own URL (a tagged revision with no traffic), before it gets any:
#   bash deploy/plan/smoke.sh URL AUDIENCE PROJECT [API_KEY_SECRET]
# It sends an identity token (Cloud Run IAM), and with API_KEY_SECRET the first key of that
# Secret Manager secret as X-API-Key (AUTH_MODE=api-key). It checks /health/startup and
# /health/ready (200: the model is loaded, a warm-up inference passed, nothing is unhealthy), then
# one POST /predict that must answer 200 with emotions. Exits 0 when all pass, 1 otherwise.
#
# AUDIENCE is the service's Google-generated URL (https://SERVICE-PROJECT_NUMBER.REGION.run.app),
# which Cloud Run documents as always an accepted audience, set per service for all its
# revisions; a tag's URL is not documented as one. As a service account (the pipeline) the token
# is minted for AUDIENCE and a failure to mint it fails the test, with no fallback to a token of
# another audience; a user's gcloud cannot choose the audience, and Cloud Run accepts the user's
# own token.
set -euo pipefail

usage='usage: smoke.sh URL AUDIENCE PROJECT [API_KEY_SECRET]'
url=${1:?$usage}
audience=${2:?$usage}
project=${3:?$usage}
key_secret=${4:-}

account=$(gcloud config get-value account 2>/dev/null || true)
case "$account" in
  '')
    echo "smoke: gcloud has no active account" >&2
    exit 1
    ;;
  *.gserviceaccount.com)
    token=$(gcloud auth print-identity-token --audiences="$audience") || {
      echo "smoke: $account could not mint an identity token for $audience" >&2
      exit 1
    }
    ;;
  *)
    token=$(gcloud auth print-identity-token) || {
      echo "smoke: $account could not print an identity token" >&2
      exit 1
    }
    ;;
esac
headers=(-H "Authorization: Bearer $token")
if [ -n "$key_secret" ]; then
  keys=$(gcloud secrets versions access latest --secret="$key_secret" --project="$project")
  key=$(printf '%s\n' "$keys" | tr ',' '\n' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' |
    awk 'NF { print; exit }')
  if [ -z "$key" ]; then
    echo "smoke: secret $key_secret holds no key" >&2
    exit 1
  fi
  headers+=(-H "X-API-Key: $key")
fi

# The tag's route may take a few seconds to answer after the deploy returns: SMOKE_ATTEMPTS tries,
# SMOKE_RETRY_DELAY_S seconds apart.
attempts=${SMOKE_ATTEMPTS:-6}
delay=${SMOKE_RETRY_DELAY_S:-5}
check() {
  local path=$1
  local status
  for attempt in $(seq 1 "$attempts"); do
    status=$(curl -sS -o /dev/null -w '%{http_code}' "${headers[@]}" "$url$path" || true)
    if [ "$status" = 200 ]; then
      echo "smoke: GET $path 200"
      return 0
    fi
    echo "smoke: GET $path $status (attempt $attempt of $attempts)" >&2
    if [ "$attempt" -lt "$attempts" ]; then sleep "$delay"; fi
  done
  echo "smoke: GET $path never answered 200" >&2
  return 1
}

check /health/startup
check /health/ready
body=$(curl -sS -f "${headers[@]}" -H 'content-type: application/json' \
  -d '{"text":"what a day!"}' "$url/predict") || {
  echo "smoke: POST /predict failed" >&2
  exit 1
}
case "$body" in
  *'"emotions"'*) echo "smoke: POST /predict 200 $body" ;;
  *) echo "smoke: POST /predict answered without emotions: $body" >&2; exit 1 ;;
esac
