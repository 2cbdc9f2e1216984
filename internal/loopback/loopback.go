// Package loopback gives tests a TCP server on 127.0.0.1 that counts the connections it
// accepts and answers each as an empty HTTP 200: what a test that must prove "nothing
// connected" (a render, an offline process) points its URLs at.
//
//	srv := loopback.Counting(t)
//	url := "http://" + srv.Addr + "/patch.yaml"
//	... // the code under test
//	assert.Zero(t, srv.Conns())
package loopback

import (
	"bufio"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a counting loopback server.
type Server struct {
	// Addr is its host:port.
	Addr  string
	conns atomic.Int64
}

// Conns is how many connections it has accepted.
func (s *Server) Conns() int64 { return s.conns.Load() }

// answer reads the request and answers as a web server would, so a fetch that got here
// would succeed: answering before the request is read makes Go's client fail the request
// ("unsolicited response"), and the test would not see what it means to see.
func answer(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
		return
	}
	_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
}

// Counting starts a Server that lives until the test ends.
func Counting(tb testing.TB) *Server {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listening on loopback: %v", err)
	}
	s := &Server{Addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			go answer(c)
		}
	}()
	tb.Cleanup(func() { l.Close() })
	return s
}
