//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metricsSnapshot is the webhook's /metrics at one moment.
type metricsSnapshot []sample

// scrape reads the webhook's metrics endpoint.
func scrape(t testing.TB) metricsSnapshot {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(suite.sb.MetricsURL)
	if err != nil {
		t.Fatalf("scrape %s: %v", suite.sb.MetricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %s: %s", suite.sb.MetricsURL, resp.Status, b)
	}
	s, err := parseMetrics(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", suite.sb.MetricsURL, err)
	}
	return s
}

// parseMetrics parses the Prometheus text exposition format, enough for
// counters and gauges (label values without escaped quotes are all the
// webhook's metrics have; escapes are handled anyway).
func parseMetrics(r io.Reader) (metricsSnapshot, error) {
	var out metricsSnapshot
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexAny(line, "{ "); i >= 0 && line[i] == '{' {
			s.name = line[:i]
			j := i + 1
			for j < len(line) && line[j] != '}' {
				eq := strings.IndexByte(line[j:], '=')
				if eq < 0 || j+eq+1 >= len(line) || line[j+eq+1] != '"' {
					return nil, fmt.Errorf("bad labels in %q", line)
				}
				name := strings.TrimSpace(line[j : j+eq])
				k := j + eq + 2
				var v strings.Builder
				for k < len(line) && line[k] != '"' {
					if line[k] == '\\' && k+1 < len(line) {
						k++
						switch line[k] {
						case 'n':
							v.WriteByte('\n')
						default:
							v.WriteByte(line[k])
						}
					} else {
						v.WriteByte(line[k])
					}
					k++
				}
				s.labels[name] = v.String()
				j = k + 1
				if j < len(line) && line[j] == ',' {
					j++
				}
			}
			rest = line[j+1:]
		} else if i >= 0 {
			s.name, rest = line[:i], line[i:]
		} else {
			return nil, fmt.Errorf("bad sample %q", line)
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("no value in %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %v", line, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out, sc.Err()
}

// sum adds the samples of metric name whose labels include match.
func (m metricsSnapshot) sum(name string, match map[string]string) float64 {
	var total float64
next:
	for _, s := range m {
		if s.name != name {
			continue
		}
		for k, v := range match {
			if s.labels[k] != v {
				continue next
			}
		}
		total += s.value
	}
	return total
}

// has reports whether metric name is exposed at all.
func (m metricsSnapshot) has(name string) bool {
	for _, s := range m {
		if s.name == name {
			return true
		}
	}
	return false
}

// The webhook's metrics (internal/metrics).
const (
	metricRequests  = "guardrails_admission_requests_total"
	metricDecisions = "guardrails_decisions_total"
)
