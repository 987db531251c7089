# Run by the tee plugin: see plugin.yaml.
set -eu
dir=$HELM4_TEST_CAPTURE
echo "$*" >>"$dir/calls"
n=$(wc -l <"$dir/calls" | tr -d ' ')
cat >"$dir/in-$n.yaml"
"$HELM4_TEST_BIN" "$@" <"$dir/in-$n.yaml" >"$dir/out-$n.yaml"
cat "$dir/out-$n.yaml"
