package web

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series. Routes are labelled by their
// pattern, never the raw path, so ids in URLs cannot explode cardinality.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	signIns  *prometheus.CounterVec
	streams  prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "torii_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "torii_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "torii_signins_total",
			Help: "Sign-in and registration attempts by method and result (success or an error code).",
		}, []string{"method", "result"}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "torii_chat_streams",
			Help: "Open chat event streams.",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.signIns, m.streams,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// signIn counts an attempt; result is "success" or the error code.
func (m *metrics) signIn(method, result string) {
	m.signIns.WithLabelValues(method, result).Inc()
}
