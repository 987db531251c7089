package testenv

import (
	"strings"
	"testing"
)

func TestSplitDocuments(t *testing.T) {
	stream := "---\n# Source: geth/templates/sts.yaml\nkind: StatefulSet\n--- # comment\n---\nkind: Service\nmetadata:\n  name: rel\n"
	docs, err := SplitDocuments([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	var raw strings.Builder
	for _, d := range docs {
		raw.WriteString(d.Raw)
	}
	if raw.String() != stream {
		t.Errorf("joined Raw texts %q, want the stream %q", raw.String(), stream)
	}
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3", len(docs))
	}
	if docs[0].Source != "geth/templates/sts.yaml" || docs[0].Object["kind"] != "StatefulSet" {
		t.Errorf("first document: source %q, object %v", docs[0].Source, docs[0].Object)
	}
	if docs[1].Object != nil {
		t.Errorf("empty document parsed as %v, want nil", docs[1].Object)
	}
	if docs[2].Source != "" || docs[2].Object["kind"] != "Service" {
		t.Errorf("third document: source %q, object %v", docs[2].Source, docs[2].Object)
	}
}

func TestSplitDocumentsBadYAML(t *testing.T) {
	_, err := SplitDocuments([]byte("kind: A\n---\n# Source: x.yaml\nkind: [\n"))
	if err == nil || !strings.Contains(err.Error(), "document 2 (x.yaml)") {
		t.Errorf("error %v, want one naming document 2 (x.yaml)", err)
	}
}
