package web

import (
	"fmt"
	"strings"
)

// edgeText is an edge's label with its count when events took it.
func edgeText(e Edge) string {
	if e.Count > 0 {
		return fmt.Sprintf("%s (%d)", e.Label, e.Count)
	}
	return e.Label
}

// failurePath reports whether an edge carries failures (drawn dashed).
func failurePath(label string) bool {
	return label == EdgeOnFailure || label == EdgeDLQ
}

// mermaidShape wraps a quoted label in the shape of its kind.
var mermaidShape = map[string][2]string{
	KindRoute:    {`>"`, `"]`},
	KindTopic:    {`(["`, `"])`},
	KindBus:      {`{{"`, `"}}`},
	KindRule:     {`{"`, `"}`},
	KindFunction: {`["`, `"]`},
	KindQueue:    {`[("`, `")]`},
}

var mermaidEscaper = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;",
	"\r", " ", "\n", " ",
)

// Mermaid renders g as a Mermaid flowchart, left to right. Nodes are named
// n0, n1, ... in a stable order; labels are escaped, so any id or label is
// safe.
func Mermaid(g Graph) string {
	nodes, edges := sorted(g)
	name := make(map[string]string, len(nodes))
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, n := range nodes {
		name[n.ID] = fmt.Sprintf("n%d", i)
		shape, ok := mermaidShape[n.Kind]
		if !ok {
			shape = mermaidShape[KindFunction]
		}
		fmt.Fprintf(&b, "    %s%s%s%s\n", name[n.ID], shape[0], mermaidEscaper.Replace(n.Label), shape[1])
	}
	for _, e := range edges {
		from, to := name[e.From], name[e.To]
		if from == "" || to == "" {
			continue // an edge to a node that is not in the graph is not drawn
		}
		arrow := "-->"
		if failurePath(e.Label) {
			arrow = "-.->"
		}
		if e.Label == "" && e.Count == 0 {
			fmt.Fprintf(&b, "    %s %s %s\n", from, arrow, to)
			continue
		}
		fmt.Fprintf(&b, "    %s %s|\"%s\"| %s\n", from, arrow, mermaidEscaper.Replace(edgeText(e)), to)
	}
	kinds := []string{KindRoute, KindTopic, KindBus, KindRule, KindFunction, KindQueue}
	for _, k := range kinds {
		fmt.Fprintf(&b, "    classDef %s %s\n", k, mermaidClass[k])
	}
	for _, k := range kinds {
		var members []string
		for _, n := range nodes {
			if n.Kind == k {
				members = append(members, name[n.ID])
			}
		}
		if len(members) > 0 {
			fmt.Fprintf(&b, "    class %s %s\n", strings.Join(members, ","), k)
		}
	}
	return b.String()
}

var mermaidClass = map[string]string{
	KindRoute:    "fill:#eef2ff,stroke:#4f46e5",
	KindTopic:    "fill:#fff7ed,stroke:#ea580c",
	KindBus:      "fill:#fdf4ff,stroke:#a21caf",
	KindRule:     "fill:#fdf4ff,stroke:#a21caf",
	KindFunction: "fill:#ecfdf5,stroke:#059669",
	KindQueue:    "fill:#eff6ff,stroke:#2563eb",
}

// dotShape is the Graphviz node style of each kind.
var dotShape = map[string]string{
	KindRoute:    `shape=cds`,
	KindTopic:    `shape=ellipse`,
	KindBus:      `shape=hexagon`,
	KindRule:     `shape=diamond`,
	KindFunction: `shape=box, style=rounded`,
	KindQueue:    `shape=cylinder`,
}

var dotEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", " ", "\n", `\n`)

func dotQuote(s string) string { return `"` + dotEscaper.Replace(s) + `"` }

// DOT renders g as a Graphviz digraph, left to right, with each kind's
// shape and failure paths dashed in red.
func DOT(g Graph) string {
	nodes, edges := sorted(g)
	var b strings.Builder
	b.WriteString("digraph ferry {\n")
	b.WriteString("\trankdir=LR;\n")
	b.WriteString("\tnode [fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, n := range nodes {
		shape, ok := dotShape[n.Kind]
		if !ok {
			shape = dotShape[KindFunction]
		}
		fmt.Fprintf(&b, "\t%s [label=%s, %s];\n", dotQuote(n.ID), dotQuote(n.Label), shape)
	}
	for _, e := range edges {
		attrs := []string{"label=" + dotQuote(edgeText(e))}
		switch {
		case failurePath(e.Label):
			attrs = append(attrs, "style=dashed", `color="#c0392b"`)
		case e.Label == EdgeOnSuccess:
			attrs = append(attrs, `color="#1e8449"`)
		}
		fmt.Fprintf(&b, "\t%s -> %s [%s];\n", dotQuote(e.From), dotQuote(e.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}
