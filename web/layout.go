package web

import (
	"fmt"
	"sort"

	"github.com/ferry-run/ferry"
)

// Box and spacing of the drawing, in SVG user units.
const (
	boxW    = 170
	boxH    = 48
	gapX    = 120 // room for an edge label between layers
	gapY    = 32
	margin  = 24
	loopGap = 36 // how far below the lowest box a backward edge loops
	labelDY = 6  // labels sit just above their curve
	stackDY = 14 // parallel edges between the same pair stack their labels
)

// Layout is a Graph placed for drawing: layers left to right, in the order
// events flow (routes, topics and buses, rules, functions, queues,
// functions...).
type Layout struct {
	Width  int          `json:"width"`
	Height int          `json:"height"`
	Nodes  []PlacedNode `json:"nodes"`
	Edges  []PlacedEdge `json:"edges"`
}

// PlacedNode is a node and its box.
type PlacedNode struct {
	Node
	Layer int `json:"layer"`
	X     int `json:"x"`
	Y     int `json:"y"`
	W     int `json:"w"`
	H     int `json:"h"`
}

// PlacedEdge is an edge, its SVG path and where its label goes. Back is set
// for an edge that points to the same or an earlier layer (a loop).
type PlacedEdge struct {
	Edge
	Path   string `json:"path"`
	LabelX int    `json:"labelX"`
	LabelY int    `json:"labelY"`
	Back   bool   `json:"back,omitempty"`
}

// kindRank orders kinds within a layer and breaks ties in the text forms.
func kindRank(kind string) int {
	switch kind {
	case KindRoute:
		return 0
	case KindBus:
		return 1
	case KindTopic:
		return 2
	case KindRule:
		return 3
	case KindFunction:
		return 4
	case KindQueue:
		return 5
	}
	return 6
}

// sorted returns g's nodes (by kind, then id) and edges (by the order of
// their ends) in an order that does not depend on how the source built them.
func sorted(g Graph) ([]Node, []Edge) {
	nodes := append([]Node(nil), g.Nodes...)
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := nodes[i], nodes[j]
		if ra, rb := kindRank(a.Kind), kindRank(b.Kind); ra != rb {
			return ra < rb
		}
		return a.ID < b.ID
	})
	rank := make(map[string]int, len(nodes))
	for i, n := range nodes {
		rank[n.ID] = i
	}
	pos := func(id string) int {
		if r, ok := rank[id]; ok {
			return r
		}
		return len(nodes)
	}
	edges := append([]Edge(nil), g.Edges...)
	sort.SliceStable(edges, func(i, j int) bool {
		a, b := edges[i], edges[j]
		if pa, pb := pos(a.From), pos(b.From); pa != pb {
			return pa < pb
		}
		if pa, pb := pos(a.To), pos(b.To); pa != pb {
			return pa < pb
		}
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Label < b.Label
	})
	return nodes, edges
}

// Validate reports a duplicate node id or an edge naming an unknown node.
func (g Graph) Validate() error {
	seen := make(map[string]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		if n.ID == "" {
			return ferry.Errorf(ferry.EINVALID, "graph: node with label %q has no id", n.Label)
		}
		if seen[n.ID] {
			return ferry.Errorf(ferry.EINVALID, "graph: duplicate node id %q", n.ID)
		}
		seen[n.ID] = true
	}
	for _, e := range g.Edges {
		for _, end := range []string{e.From, e.To} {
			if !seen[end] {
				return ferry.Errorf(ferry.EINVALID, "graph: edge %s -> %s (%s) names unknown node %q", e.From, e.To, e.Label, end)
			}
		}
	}
	return nil
}

// Place lays g out: each node's layer is the longest path to it from a node
// with no incoming edge (edges that close a cycle are ignored for this),
// and nodes in a layer are ordered by the mean position of their neighbours
// in the previous layer to keep edges from crossing.
func Place(g Graph) (Layout, error) {
	if err := g.Validate(); err != nil {
		return Layout{}, err
	}
	nodes, edges := sorted(g)
	index := make(map[string]int, len(nodes))
	for i, n := range nodes {
		index[n.ID] = i
	}
	out := make([][]int, len(nodes))
	for i, e := range edges {
		out[index[e.From]] = append(out[index[e.From]], i)
	}

	// Mark edges that close a cycle with a depth-first search in node order.
	back := make([]bool, len(edges))
	state := make([]int, len(nodes)) // 0 new, 1 on the stack, 2 done
	var visit func(int)
	visit = func(v int) {
		state[v] = 1
		for _, ei := range out[v] {
			w := index[edges[ei].To]
			switch state[w] {
			case 0:
				visit(w)
			case 1:
				back[ei] = true
			}
		}
		state[v] = 2
	}
	for v := range nodes {
		if state[v] == 0 {
			visit(v)
		}
	}

	// Longest-path layering over the acyclic edges, in topological order.
	indeg := make([]int, len(nodes))
	for i, e := range edges {
		if !back[i] {
			indeg[index[e.To]]++
		}
	}
	layer := make([]int, len(nodes))
	queue := make([]int, 0, len(nodes))
	for v := range nodes {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, ei := range out[v] {
			if back[ei] {
				continue
			}
			w := index[edges[ei].To]
			layer[w] = max(layer[w], layer[v]+1)
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}

	nLayers := 0
	for _, l := range layer {
		nLayers = max(nLayers, l+1)
	}
	layers := make([][]int, nLayers)
	for v := range nodes {
		layers[layer[v]] = append(layers[layer[v]], v)
	}
	orderLayers(layers, nodes, edges, index, back)

	// Coordinates: layers are columns, centred vertically on the tallest.
	tallest := 0
	for _, l := range layers {
		tallest = max(tallest, len(l))
	}
	colH := func(n int) int { return n*boxH + max(n-1, 0)*gapY }
	lay := Layout{Nodes: make([]PlacedNode, len(nodes))}
	for li, l := range layers {
		top := margin + (colH(tallest)-colH(len(l)))/2
		for pos, v := range l {
			lay.Nodes[v] = PlacedNode{
				Node: nodes[v], Layer: li,
				X: margin + li*(boxW+gapX), Y: top + pos*(boxH+gapY),
				W: boxW, H: boxH,
			}
		}
	}
	lay.Width = 2*margin + nLayers*boxW + max(nLayers-1, 0)*gapX
	lay.Height = 2*margin + colH(tallest)
	bottom := margin + colH(tallest)

	pairs := make(map[[2]string]int)
	loops := 0
	for _, e := range edges {
		a, b := lay.Nodes[index[e.From]], lay.Nodes[index[e.To]]
		k := [2]string{e.From, e.To}
		stack := pairs[k] * stackDY
		pairs[k]++
		pe := PlacedEdge{Edge: e}
		if b.Layer > a.Layer {
			x1, y1 := a.X+a.W, a.Y+a.H/2
			x2, y2 := b.X, b.Y+b.H/2
			dx := (x2 - x1) / 2
			pe.Path = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1+dx, y1, x2-dx, y2, x2, y2)
			pe.LabelX, pe.LabelY = (x1+x2)/2, (y1+y2)/2-labelDY-stack
		} else {
			// A loop or same-layer edge goes out of the bottom of one box
			// and into the bottom of the other, below every box.
			loops++
			low := bottom + loopGap*loops
			x1, y1 := a.X+a.W/2+8, a.Y+a.H
			x2, y2 := b.X+b.W/2-8, b.Y+b.H
			pe.Path = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1, low, x2, low, x2, y2)
			pe.LabelX, pe.LabelY = (x1+x2)/2, (y1+y2+6*low)/8-labelDY-stack
			pe.Back = true
			lay.Height = max(lay.Height, low+margin)
		}
		lay.Edges = append(lay.Edges, pe)
	}
	if lay.Edges == nil {
		lay.Edges = []PlacedEdge{}
	}
	return lay, nil
}

// orderLayers reorders each layer by the barycentre of its neighbours in
// the layer before (a few sweeps down, then up), keeping the sorted order
// for ties.
func orderLayers(layers [][]int, nodes []Node, edges []Edge, index map[string]int, back []bool) {
	pos := make([]float64, len(nodes))
	setPos := func() {
		for _, l := range layers {
			for p, v := range l {
				pos[v] = float64(p)
			}
		}
	}
	setPos()
	preds := make([][]int, len(nodes))
	succs := make([][]int, len(nodes))
	for i, e := range edges {
		if back[i] {
			continue
		}
		f, t := index[e.From], index[e.To]
		preds[t] = append(preds[t], f)
		succs[f] = append(succs[f], t)
	}
	sweep := func(l []int, nbrs [][]int) {
		bary := make(map[int]float64, len(l))
		for _, v := range l {
			if len(nbrs[v]) == 0 {
				bary[v] = pos[v]
				continue
			}
			s := 0.0
			for _, w := range nbrs[v] {
				s += pos[w]
			}
			bary[v] = s / float64(len(nbrs[v]))
		}
		sort.SliceStable(l, func(i, j int) bool { return bary[l[i]] < bary[l[j]] })
		for p, v := range l {
			pos[v] = float64(p)
		}
	}
	for range 3 {
		for i := 1; i < len(layers); i++ {
			sweep(layers[i], preds)
		}
		for i := len(layers) - 2; i >= 0; i-- {
			sweep(layers[i], succs)
		}
	}
	for i := 1; i < len(layers); i++ {
		sweep(layers[i], preds)
	}
}
