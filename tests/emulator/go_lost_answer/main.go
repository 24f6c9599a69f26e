// Command lostanswer reproduces, with Go's own net/http, how the Terraform AWS provider loses an
// answer the emulator gave, and what the SDK does next (tools/emulator/answers.py explains it).
// It uses neither smithy-go nor aws-sdk-go-v2: their request body and their retry are imitated.
//
// Attempt 1 of a Lambda CreateFunction goes out with a body that behaves as smithy-go's
// safeWriteToReadCloser, and the writer goroutine stalls before net/http's final extra-bytes
// check. That stall is what a CPU-starved provider does. The caller closes the body once Do
// returns, as smithy-go's ClientHandler does. The check then fails, net/http's writeLoop closes the
// connection, and reading the 201's body fails. The SDK retries the same invocation as attempt 2.
// A new invocation of the same create follows.
//
// Usage: lostanswer URL REGION FUNCTION ROLE_ARN ZIP_FILE; it prints one JSON document.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// body is smithy-go's safeWriteToReadCloser with a stalled writer: its WriteTo, which net/http
// reaches only for the extra-bytes check after the body was sent, waits until the body is closed.
type body struct {
	mu      sync.Mutex
	r       *bytes.Reader
	closed  bool
	stall   bool
	closeCh chan struct{}
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *body) WriteTo(w io.Writer) (int64, error) {
	if b.stall {
		<-b.closeCh
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF // as smithy-go: after Close, WriteTo answers io.EOF, which io.Copy passes on as an error
	}
	return b.r.WriteTo(w)
}

func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.closeCh)
	}
	return nil
}

// closeWatch is a connection that reports when net/http closes it.
type closeWatch struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (c *closeWatch) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

type attempt struct {
	Status    int    `json:"status"`
	ReadError string `json:"read_error"`
	Body      string `json:"body"`
}

func send(url, region, invocation string, n int, payload []byte, stall bool) attempt {
	b := &body{r: bytes.NewReader(payload), stall: stall, closeCh: make(chan struct{})}
	req, err := http.NewRequest("POST", url+"/2015-03-31/functions", nil)
	if err != nil {
		panic(err)
	}
	req.Body = b
	req.ContentLength = int64(len(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=drkit-local/20261129/"+region+"/lambda/aws4_request, SignedHeaders=host, Signature=0")
	// As the provider identifies itself; the emulator gives a lost answer again only to aws-sdk-go-v2.
	req.Header.Set("User-Agent", "terraform-provider-aws/5.100.0 aws-sdk-go-v2/1.36.3 (imitated by drkit's lostanswer)")
	req.Header.Set("Amz-Sdk-Invocation-Id", invocation)
	req.Header.Set("Amz-Sdk-Request", fmt.Sprintf("attempt=%d; max=25", n))
	var conn *closeWatch
	dialer := &net.Dialer{}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
		raw, err := dialer.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		conn = &closeWatch{Conn: raw, closed: make(chan struct{})}
		return conn, nil
	}}}
	resp, err := client.Do(req)
	if err != nil {
		return attempt{ReadError: "Do: " + err.Error()}
	}
	b.Close() // smithy-go's ClientHandler closes the request body as soon as Do returns
	if stall {
		// The SDK reads the body a little later, after its other middleware: the writer's close comes first.
		select {
		case <-conn.closed:
		case <-time.After(5 * time.Second):
		}
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	result := attempt{Status: resp.StatusCode, Body: string(data)}
	if err != nil {
		result.ReadError = err.Error()
	}
	return result
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: lostanswer URL REGION FUNCTION ROLE_ARN ZIP_FILE")
		os.Exit(2)
	}
	url, region, function, role := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	zipped, err := os.ReadFile(os.Args[5])
	if err != nil {
		panic(err)
	}
	// An answer larger than net/http's 4 KiB read buffer, so that its body is read after the close.
	variables := map[string]string{"PADDING": strings.Repeat("x", 3500)}
	payload, _ := json.Marshal(map[string]any{
		"FunctionName": function, "Runtime": "python3.13", "Role": role, "Handler": "handler.handler",
		"Code":        map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(zipped)},
		"Environment": map[string]any{"Variables": variables},
	})
	out := map[string]attempt{}
	out["attempt_1"] = send(url, region, "5d41402a-lost-answer", 1, payload, true)
	out["attempt_2"] = send(url, region, "5d41402a-lost-answer", 2, payload, false) // the SDK's retry
	out["new_invocation"] = send(url, region, "7b8b965a-new-create", 1, payload, false)
	document, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(document))
}
