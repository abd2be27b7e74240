// Package metrics owns Ferry's Prometheus metrics, named after AWS Lambda's
// CloudWatch metrics (Invocations, Errors, Throttles, Duration,
// ConcurrentExecutions, AsyncEventsReceived, AsyncEventAge,
// AsyncEventsDropped, DestinationDeliveryFailures, DeadLetterErrors) with a
// function label, plus queue depths with a queue label. On a cluster every
// series carries the server's node label, and ferry_cluster_<name> series
// give the counters summed over every node.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// FunctionCounters are one function's running totals.
type FunctionCounters struct {
	Invocations, Errors, Throttles                int64
	AsyncEventsReceived, AsyncEventsDropped       int64
	DestinationDeliveryFailures, DeadLetterErrors int64
	RecursiveInvocationsDropped                   int64
	ConcurrentExecutions                          int
}

// QueueDepth is one queue's approximate message counts.
type QueueDepth struct {
	Name                       string
	Visible, InFlight, Delayed int64
	OldestAge                  time.Duration
}

// Source reads the current totals at scrape time.
type Source struct {
	Functions func(ctx context.Context) []string
	Counters  func(function string) FunctionCounters
	Queues    func(ctx context.Context) []QueueDepth

	// Node, when set (a server in a cluster), labels every series of this
	// server node="<Node>".
	Node string
	// Cluster, when set, returns the cluster's totals per function (every
	// node's counters summed), served as ferry_cluster_<name>{function}
	// without a node label.
	Cluster func(ctx context.Context) map[string]FunctionCounters
}

// Registry holds the metrics and serves them.
type Registry struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
	age      *prometheus.HistogramVec
}

// New returns a registry reading totals from src.
func New(src Source) *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ferry", Name: "Duration", Help: "Function run time in milliseconds.",
			Buckets: []float64{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 900000},
		}, []string{"function"}),
		age: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ferry", Name: "AsyncEventAge", Help: "Time from acceptance of an async event to its run, in milliseconds.",
			Buckets: []float64{1, 5, 10, 50, 100, 500, 1000, 5000, 60000, 120000, 600000, 3600000, 21600000},
		}, []string{"function"}),
	}
	var reg prometheus.Registerer = r.reg
	if src.Node != "" {
		reg = prometheus.WrapRegistererWith(prometheus.Labels{"node": src.Node}, r.reg)
	}
	reg.MustRegister(r.duration, r.age, &collector{src: src},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.Cluster != nil {
		r.reg.MustRegister(clusterCollector{src.Cluster})
	}
	return r
}

// ObserveDuration records one function run.
func (r *Registry) ObserveDuration(function string, d time.Duration) {
	r.duration.WithLabelValues(function).Observe(float64(d) / float64(time.Millisecond))
}

// ObserveEventAge records how long an async event waited before a run.
func (r *Registry) ObserveEventAge(function string, d time.Duration) {
	r.age.WithLabelValues(function).Observe(float64(d) / float64(time.Millisecond))
}

// Handler serves the metrics in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

var (
	fnLabel    = []string{"function"}
	queueLabel = []string{"queue"}
	descs      = map[string]*prometheus.Desc{
		"Invocations":                 prometheus.NewDesc("ferry_Invocations", "Function runs, successful or not.", fnLabel, nil),
		"Errors":                      prometheus.NewDesc("ferry_Errors", "Function runs that ended in a function error.", fnLabel, nil),
		"Throttles":                   prometheus.NewDesc("ferry_Throttles", "Invocation requests throttled for lack of concurrency.", fnLabel, nil),
		"AsyncEventsReceived":         prometheus.NewDesc("ferry_AsyncEventsReceived", "Async events accepted into the function's queue.", fnLabel, nil),
		"AsyncEventsDropped":          prometheus.NewDesc("ferry_AsyncEventsDropped", "Async events dropped without a run (too old, function deleted).", fnLabel, nil),
		"DestinationDeliveryFailures": prometheus.NewDesc("ferry_DestinationDeliveryFailures", "Failed attempts to deliver a record to a destination.", fnLabel, nil),
		"DeadLetterErrors":            prometheus.NewDesc("ferry_DeadLetterErrors", "Failed attempts to send an event to the dead-letter queue.", fnLabel, nil),
		"RecursiveInvocationsDropped": prometheus.NewDesc("ferry_RecursiveInvocationsDropped", "Events stopped by the recursive loop guard.", fnLabel, nil),
		"ConcurrentExecutions":        prometheus.NewDesc("ferry_ConcurrentExecutions", "Function instances running an invocation now.", fnLabel, nil),
		"Visible":                     prometheus.NewDesc("ferry_ApproximateNumberOfMessagesVisible", "Messages available for retrieval.", queueLabel, nil),
		"InFlight":                    prometheus.NewDesc("ferry_ApproximateNumberOfMessagesNotVisible", "Messages received and not yet deleted.", queueLabel, nil),
		"Delayed":                     prometheus.NewDesc("ferry_ApproximateNumberOfMessagesDelayed", "Messages not yet available because of a delay.", queueLabel, nil),
		"OldestAge":                   prometheus.NewDesc("ferry_ApproximateAgeOfOldestMessage", "Age of the oldest message in the queue, in seconds.", queueLabel, nil),
	}
)

// collector turns the source's totals into metrics at scrape time.
type collector struct{ src Source }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counter := func(name string, v int64, label string) {
		ch <- prometheus.MustNewConstMetric(descs[name], prometheus.CounterValue, float64(v), label)
	}
	gauge := func(name string, v int64, label string) {
		ch <- prometheus.MustNewConstMetric(descs[name], prometheus.GaugeValue, float64(v), label)
	}
	if c.src.Functions != nil && c.src.Counters != nil {
		for _, fn := range c.src.Functions(ctx) {
			k := c.src.Counters(fn)
			counter("Invocations", k.Invocations, fn)
			counter("Errors", k.Errors, fn)
			counter("Throttles", k.Throttles, fn)
			counter("AsyncEventsReceived", k.AsyncEventsReceived, fn)
			counter("AsyncEventsDropped", k.AsyncEventsDropped, fn)
			counter("DestinationDeliveryFailures", k.DestinationDeliveryFailures, fn)
			counter("DeadLetterErrors", k.DeadLetterErrors, fn)
			counter("RecursiveInvocationsDropped", k.RecursiveInvocationsDropped, fn)
			gauge("ConcurrentExecutions", int64(k.ConcurrentExecutions), fn)
		}
	}
	if c.src.Queues != nil {
		for _, q := range c.src.Queues(ctx) {
			gauge("Visible", q.Visible, q.Name)
			gauge("InFlight", q.InFlight, q.Name)
			gauge("Delayed", q.Delayed, q.Name)
			ch <- prometheus.MustNewConstMetric(descs["OldestAge"], prometheus.GaugeValue, q.OldestAge.Seconds(), q.Name)
		}
	}
}

// clusterCounters are the counters summed over a cluster's nodes.
var clusterCounters = []string{"Invocations", "Errors", "Throttles", "AsyncEventsReceived", "AsyncEventsDropped",
	"DestinationDeliveryFailures", "DeadLetterErrors", "RecursiveInvocationsDropped"}

// clusterDescs are the cluster totals' descriptions, by counter name.
var clusterDescs = func() map[string]*prometheus.Desc {
	m := map[string]*prometheus.Desc{}
	for _, n := range clusterCounters {
		m[n] = prometheus.NewDesc("ferry_cluster_"+n, "Cluster total (every node summed) of ferry_"+n+".", fnLabel, nil)
	}
	return m
}()

// clusterCollector serves the cluster totals.
type clusterCollector struct {
	totals func(ctx context.Context) map[string]FunctionCounters
}

func (c clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range clusterDescs {
		ch <- d
	}
}

func (c clusterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for fn, k := range c.totals(ctx) {
		for n, v := range map[string]int64{
			"Invocations": k.Invocations, "Errors": k.Errors, "Throttles": k.Throttles,
			"AsyncEventsReceived": k.AsyncEventsReceived, "AsyncEventsDropped": k.AsyncEventsDropped,
			"DestinationDeliveryFailures": k.DestinationDeliveryFailures, "DeadLetterErrors": k.DeadLetterErrors,
			"RecursiveInvocationsDropped": k.RecursiveInvocationsDropped,
		} {
			ch <- prometheus.MustNewConstMetric(clusterDescs[n], prometheus.CounterValue, float64(v), fn)
		}
	}
}
