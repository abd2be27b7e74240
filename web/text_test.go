package web

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// graphCases are the graphs whose Mermaid and DOT forms are pinned by
// golden files testdata/<name>.mmd and testdata/<name>.dot.
func graphCases() map[string]Graph {
	return map[string]Graph{
		"payments": paymentsGraph(),
		"bus": {
			Nodes: []Node{
				{ID: "bus:orders", Kind: KindBus, Label: "orders"},
				{ID: "rule:orders/big", Kind: KindRule, Label: "big"},
				{ID: "function:audit", Kind: KindFunction, Label: "audit"},
				{ID: "topic:alerts", Kind: KindTopic, Label: "alerts"},
			},
			Edges: []Edge{
				{From: "rule:orders/big", To: "function:audit", Label: EdgeTarget},
				{From: "bus:orders", To: "rule:orders/big", Label: EdgeRoute, Count: 12},
				{From: "function:audit", To: "topic:alerts", Label: EdgeOnFailure, Count: 2},
				{From: "function:audit", To: "function:audit", Label: EdgeDLQ},
			},
		},
		"escaping": {
			Nodes: []Node{
				{ID: `route:GET /a"b`, Kind: KindRoute, Label: `GET /a"b <x> & #1`},
				{ID: `function:f\n`, Kind: KindFunction, Label: "two\nlines"},
			},
			Edges: []Edge{{From: `route:GET /a"b`, To: `function:f\n`, Label: `say "hi"`}},
		},
	}
}

func TestMermaidAndDOTGolden(t *testing.T) {
	t.Parallel()
	for name, g := range graphCases() {
		for ext, render := range map[string]func(Graph) string{"mmd": Mermaid, "dot": DOT} {
			path := filepath.Join("testdata", name+"."+ext)
			got := render(g)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./web -run Golden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", ext, path, got, want)
			}
		}
	}
}

// TestRenderingIgnoresInputOrder checks that the text forms do not depend
// on the order a source lists nodes and edges in.
func TestRenderingIgnoresInputOrder(t *testing.T) {
	t.Parallel()
	g := paymentsGraph()
	r := Graph{}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		r.Nodes = append(r.Nodes, g.Nodes[i])
	}
	for i := len(g.Edges) - 1; i >= 0; i-- {
		r.Edges = append(r.Edges, g.Edges[i])
	}
	if Mermaid(g) != Mermaid(r) || DOT(g) != DOT(r) {
		t.Error("reversed input renders differently")
	}
	a, err := Place(g)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Place(r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Nodes {
		if a.Nodes[i] != b.Nodes[i] {
			t.Errorf("node %d placed %+v, reversed %+v", i, a.Nodes[i], b.Nodes[i])
		}
	}
}

func TestPlaceLoopsAndErrors(t *testing.T) {
	t.Parallel()
	lay, err := Place(graphCases()["bus"])
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string]int{}
	for _, n := range lay.Nodes {
		layers[n.ID] = n.Layer
	}
	if got, want := [4]int{layers["bus:orders"], layers["rule:orders/big"], layers["function:audit"], layers["topic:alerts"]}, [4]int{0, 1, 2, 3}; got != want {
		t.Errorf("layers %v, want %v", got, want)
	}
	for _, e := range lay.Edges {
		if wantBack := e.From == e.To; e.Back != wantBack {
			t.Errorf("edge %s -> %s back = %v, want %v", e.From, e.To, e.Back, wantBack)
		}
		if e.LabelY > lay.Height || e.LabelX > lay.Width {
			t.Errorf("edge %s -> %s label at (%d,%d) outside %dx%d", e.From, e.To, e.LabelX, e.LabelY, lay.Width, lay.Height)
		}
	}

	cycle := Graph{
		Nodes: []Node{{ID: "a", Kind: KindFunction}, {ID: "b", Kind: KindQueue}},
		Edges: []Edge{{From: "a", To: "b"}, {From: "b", To: "a"}},
	}
	lay, err = Place(cycle)
	if err != nil {
		t.Fatal(err)
	}
	if lay.Nodes[0].Layer != 0 || lay.Nodes[1].Layer != 1 || lay.Edges[0].Back || !lay.Edges[1].Back {
		t.Errorf("cycle placed %+v", lay)
	}

	for _, tc := range []struct {
		g    Graph
		want string
	}{
		{Graph{Nodes: []Node{{ID: "a"}, {ID: "a"}}}, `duplicate node id "a"`},
		{Graph{Nodes: []Node{{Label: "x"}}}, "has no id"},
		{Graph{Nodes: []Node{{ID: "a"}}, Edges: []Edge{{From: "a", To: "z"}}}, `unknown node "z"`},
	} {
		if _, err := Place(tc.g); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Place(%+v) = %v, want error with %q", tc.g, err, tc.want)
		}
	}
	if lay, err := Place(Graph{}); err != nil || lay.Edges == nil {
		t.Errorf("empty graph: %+v, %v", lay, err)
	}
}
