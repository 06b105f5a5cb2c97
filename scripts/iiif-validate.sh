#!/usr/bin/env bash
# Runs the official IIIF Image API validator (IIIF/image-validator, Python) against a running Vellum delivery
# service, for IIIF Image API 2.1 ("2.0" in the validator) and 3.0 at compliance levels 1-3, and prints the
# PASS/FAIL of every test and one summary line per run. It fetches nothing: give it the directory of a copy of
# the validator (its iiif-validate.py), e.g. extracted from a git mirror with
#   git --git-dir=<mirror of IIIF/image-validator> archive HEAD | tar -x -C /tmp/image-validator
# It needs Debian's python3 with python3-pil python3-lxml python3-bottle python3-magic
# (`apt-get install -y python3-pil python3-lxml python3-bottle python3-magic`; a pyenv python cannot see them),
# and the validator's test image registered: fixtures/67352ccc-d1b0-11e1-89ae-279075081939.png under the id
# 67352ccc-d1b0-11e1-89ae-279075081939 (`npm start` does it in its demo batch: customer "demo", space 1).
#
# Usage:
#   scripts/iiif-validate.sh --validator DIR --customer C --space S
#       [--server 127.0.0.1:3001] [--id 67352ccc-d1b0-11e1-89ae-279075081939]
#       [--versions "2.0 3.0"] [--levels "1 2 3"] [--known "format_webp format_jp2 format_pdf 3.0:size_up"]
#       [--v2-prefix iiif-img/v2/C/S] [--v3-prefix iiif-img/C/S] [--python /usr/bin/python3]
#
# Exit status: 0 when every failure is a known one, 1 otherwise, 2 for bad usage or a missing prerequisite.
# Known failures (--known, `test` or `version:test`): format_webp can never pass on Python 3 (a validator bug);
# format_jp2 and format_pdf are not offered; 3.0 size_up expects `^max` of the 1000x1000 image to be 1000x1000,
# but IIIF Image API 3.0 §4.2 scales `^max` to the largest size `maxArea`/`maxWidth` allow (2048x2048 with the
# default 4194304 pixels; the spec's own example upscales `^max` to maxWidth), and the validator's comment on
# that check says it "needs a bit more thought". Every other check of size_up passes.
set -euo pipefail

validator=''
server='127.0.0.1:3001'
customer=''
space=''
id='67352ccc-d1b0-11e1-89ae-279075081939'
versions='2.0 3.0'
levels='1 2 3'
known='format_webp format_jp2 format_pdf 3.0:size_up'
v2_prefix=''
v3_prefix=''
python='/usr/bin/python3'

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --validator) validator="$2"; shift 2 ;;
    --server) server="$2"; shift 2 ;;
    --customer) customer="$2"; shift 2 ;;
    --space) space="$2"; shift 2 ;;
    --id) id="$2"; shift 2 ;;
    --versions) versions="$2"; shift 2 ;;
    --levels) levels="$2"; shift 2 ;;
    --known) known="$2"; shift 2 ;;
    --v2-prefix) v2_prefix="$2"; shift 2 ;;
    --v3-prefix) v3_prefix="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done

if [ -z "$validator" ] || [ ! -f "$validator/iiif-validate.py" ]; then
  echo "--validator must be a directory holding the validator's iiif-validate.py (got '${validator}')" >&2
  exit 2
fi
if [ -z "$v2_prefix$v3_prefix" ] && { [ -z "$customer" ] || [ -z "$space" ]; }; then
  echo "give --customer and --space (or --v2-prefix and --v3-prefix)" >&2
  exit 2
fi
if ! "$python" -c 'import PIL, lxml, bottle, magic' 2>/dev/null; then
  echo "$python cannot import PIL, lxml, bottle and magic: apt-get install -y python3-pil python3-lxml python3-bottle python3-magic" >&2
  exit 2
fi
v2_prefix="${v2_prefix:-iiif-img/v2/$customer/$space}"
v3_prefix="${v3_prefix:-iiif-img/$customer/$space}"

unexpected=0
summary=()
for version in $versions; do
  case "$version" in
    2.0 | 2.1) prefix="$v2_prefix"; version='2.0' ;;
    3.0) prefix="$v3_prefix" ;;
    *) echo "unsupported version $version (2.0 or 3.0)" >&2; exit 2 ;;
  esac
  for level in $levels; do
    echo "== IIIF Image API $version, level $level: http://$server/$prefix/$id"
    # The validator logs to stderr and exits with the number of failures.
    out="$(cd "$validator" && "$python" iiif-validate.py -s "$server" -p "$prefix" -i "$id" \
      --version="$version" --level "$level" 2>&1 || true)"
    echo "$out" | sed -e 's/^/   /'
    passed="$(echo "$out" | grep -cE '^\[[0-9]+\] test [a-z0-9_]+ PASS$' || true)"
    failed_tests="$(echo "$out" | sed -nE 's/^\[[0-9]+\] test ([a-z0-9_]+) FAIL$/\1/p' | tr '\n' ' ' | sed 's/ $//')"
    failed="$(echo "$failed_tests" | wc -w)"
    others=''
    for t in $failed_tests; do
      case " $known " in *" $t "* | *" $version:$t "*) ;; *) others="$others $t" ;; esac
    done
    [ -n "$others" ] && unexpected=1
    summary+=("v$version level $level @ $server: $passed passed, $failed failed${failed_tests:+ ($failed_tests)}${others:+ UNEXPECTED:$others}")
  done
done

echo
echo "== Summary"
printf '%s\n' "${summary[@]}"
exit "$unexpected"
