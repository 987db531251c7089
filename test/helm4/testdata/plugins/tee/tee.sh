# Run by the tee plugin: see plugin.yaml.
set -eu
cat >"$HELM4_TEST_CAPTURE/in.yaml"
"$HELM4_TEST_BIN" "$@" <"$HELM4_TEST_CAPTURE/in.yaml" >"$HELM4_TEST_CAPTURE/out.yaml"
cat "$HELM4_TEST_CAPTURE/out.yaml"
