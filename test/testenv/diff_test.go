package testenv

import "testing"

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name      string
		want, got string
		context   int
		diff      string
	}{
		{name: "equal", want: "a\nb\n", got: "a\nb\n", diff: ""},
		{name: "changed line", want: "a\nb\nc\n", got: "a\nB\nc\n", context: 1, diff: "  a\n+ B\n- b\n  c\n"},
		{name: "no context", want: "a\nb\nc\nd\ne\n", got: "A\nb\nc\nd\nE\n", diff: "+ A\n- a\n  ...\n+ E\n- e\n"},
		{name: "missing newline", want: "a\n", got: "a", diff: "+ a (no newline at end)\n- a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LineDiff(tt.want, tt.got, tt.context); got != tt.diff {
				t.Errorf("LineDiff = %q, want %q", got, tt.diff)
			}
		})
	}
}
