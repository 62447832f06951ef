package admission

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guardrails-dev/guardrails/certs"
	"github.com/guardrails-dev/guardrails/internal/config"
)

// testServer runs NewServer with o on loopback and returns its address and
// a TLS config trusting it; the server stops at the end of the test.
func testServer(t testing.TB, o ServerOptions) (string, *tls.Config) {
	t.Helper()
	dir := t.TempDir()
	ca, err := certs.WriteServing(dir, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	o.Host, o.Port, o.CertDir = "127.0.0.1", port, dir
	state := testCluster(t)
	srv, err := NewServer(o, NewValidator(config.Default(), state, Options{}), NewMutator(config.Default(), state, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not shut down")
		}
	})
	for deadline := time.Now().Add(10 * time.Second); srv.StartedChecker()(nil) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("server not started")
		}
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	return fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
}

// postOn sends one keep-alive POST of body to /validate on conn and reads
// the answer.
func postOn(conn net.Conn, br *bufio.Reader, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, "https://127.0.0.1"+ValidatePath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := req.Write(conn); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// closedByServer waits for the server to close conn and reports how it
// ended. It waits 5s: far above the timeouts the tests set, below the
// defaults.
func closedByServer(conn net.Conn, br *bufio.Reader) error {
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := br.ReadByte()
	var ne net.Error
	switch {
	case err == nil:
		return errors.New("the server sent data on an idle connection")
	case errors.As(err, &ne) && ne.Timeout():
		return errors.New("still open after 5s: not closed by the server")
	}
	return nil // EOF or reset: closed by the server
}

// TestServerClosesIdleConnections: connections that say nothing (TCP
// only, TLS without a request) are closed after the header timeout, a
// keep-alive connection after the idle timeout, while a busy connection
// keeps being served.
func TestServerClosesIdleConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	addr, tc := testServer(t, ServerOptions{HeaderTimeout: 300 * time.Millisecond, IdleTimeout: 600 * time.Millisecond})
	body := reviewBody(t, loadReview(t, "deployment-create.json"))

	// Busy: one keep-alive connection, a request every 50ms for the whole
	// test.
	stop := make(chan struct{})
	busy := make(chan error, 1)
	var served, conns int
	go func() {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		defer client.CloseIdleConnections()
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) {
				if !i.Reused {
					conns++
				}
			},
		})
		for {
			select {
			case <-stop:
				busy <- nil
				return
			case <-time.After(50 * time.Millisecond):
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+addr+ValidatePath, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				busy <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			served++
		}
	}()

	var wg sync.WaitGroup
	results := map[string]error{}
	var mu sync.Mutex
	idle := func(name string, open func() (net.Conn, *bufio.Reader, error)) {
		wg.Go(func() {
			conn, br, err := open()
			if err == nil {
				defer conn.Close()
				err = closedByServer(conn, br)
			}
			mu.Lock()
			results[name] = err
			mu.Unlock()
		})
	}
	idle("TCP without TLS handshake", func() (net.Conn, *bufio.Reader, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		return c, bufio.NewReader(c), nil
	})
	idle("TLS without request", func() (net.Conn, *bufio.Reader, error) {
		c, err := tls.Dial("tcp", addr, tc)
		if err != nil {
			return nil, nil, err
		}
		return c, bufio.NewReader(c), nil
	})
	idle("keep-alive after a request", func() (net.Conn, *bufio.Reader, error) {
		c, err := tls.Dial("tcp", addr, tc)
		if err != nil {
			return nil, nil, err
		}
		br := bufio.NewReader(c)
		if err := postOn(c, br, body); err != nil {
			c.Close()
			return nil, nil, fmt.Errorf("request: %w", err)
		}
		return c, br, nil
	})
	wg.Wait()
	close(stop)
	if err := <-busy; err != nil {
		t.Errorf("busy connection: %v", err)
	}
	for name, err := range results {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if served < 5 || conns != 1 {
		t.Errorf("busy client: %d requests on %d connections, want several on one", served, conns)
	}
}

// TestServerMaxConnections: past the cap, a new connection is not served
// until one of the open ones closes.
func TestServerMaxConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	addr, tc := testServer(t, ServerOptions{MaxConnections: 2})
	dial := func(timeout time.Duration) (*tls.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: timeout, Deadline: time.Now().Add(timeout)}, "tcp", addr, tc)
	}
	a, err := dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if c, err := dial(500 * time.Millisecond); err == nil {
		c.Close()
		t.Fatal("a third connection was served past MaxConnections 2")
	}
	a.Close()
	c, err := dial(5 * time.Second)
	if err != nil {
		t.Fatalf("no connection after one closed: %v", err)
	}
	c.Close()
}

// BenchmarkIdleConnectionMemory measures what one idle TLS connection
// costs the server: a child process opens 2,000 connections (TLS
// handshake done, then one request on each, or none), and the server
// process's heap and stack growth is divided by their number. Run with
// -benchtime 1x.
//
//	go test ./internal/admission/ -run '^$' -bench IdleConnectionMemory -benchtime 1x
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 2000
	addr, _ := testServer(b, ServerOptions{HeaderTimeout: time.Minute, IdleTimeout: time.Minute, MaxConnections: 2 * n})
	for _, mode := range []string{"handshake", "after-request"} {
		b.Run(mode, func(b *testing.B) {
			before := serverMemory()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIdleClients$")
			cmd.Env = append(os.Environ(), "GUARDRAILS_IDLE_CLIENTS="+addr+","+strconv.Itoa(n)+","+mode)
			stdin, _ := cmd.StdinPipe()
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "ready") {
				b.Fatalf("helper: %q %v", line, err)
			}
			time.Sleep(time.Second) // let the server settle every connection
			after := serverMemory()
			stdin.Close()
			_ = cmd.Wait()
			b.ReportMetric(float64(after-before)/n, "bytes/conn")
		})
	}
}

// serverMemory is the heap and stack memory in use after a GC.
func serverMemory() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// TestHelperIdleClients is the child process of
// BenchmarkIdleConnectionMemory; it does nothing in a normal test run.
func TestHelperIdleClients(t *testing.T) {
	spec := os.Getenv("GUARDRAILS_IDLE_CLIENTS")
	if spec == "" {
		t.Skip("helper process")
	}
	parts := strings.Split(spec, ",")
	n, _ := strconv.Atoi(parts[1])
	body := reviewBody(t, loadReview(t, "deployment-create.json"))
	var conns []net.Conn
	for range n {
		c, err := tls.Dial("tcp", parts[0], &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // measuring, not trusting
		if err != nil {
			t.Fatal(err)
		}
		if parts[2] == "after-request" {
			if err := postOn(c, bufio.NewReader(c), body); err != nil {
				t.Fatal(err)
			}
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}
