// Command forward-client sends NDJSON records read from stdin to a forward
// listener through github.com/fluent/fluent-logger-golang, the way an
// application logging to fluentd does, and waits for each acknowledgement
// (RequestAck). The gateway's tests run it against a real listener.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

func main() {
	host := flag.String("host", "127.0.0.1", "listener host")
	port := flag.Int("port", 24224, "listener port")
	tag := flag.String("tag", "vrouter.session", "the tag of every record")
	ack := flag.Bool("ack", true, "RequestAck: wait for the server's ack of each message")
	tls := flag.Bool("tls", false, "connect over TLS (certificate not verified)")
	subsecond := flag.Bool("subsecond", true, "send EventTime (nanoseconds) rather than integer seconds")
	timeout := flag.Duration("timeout", 10*time.Second, "write and ack read timeout")
	flag.Parse()

	network := "tcp"
	if *tls {
		network = "tls"
	}
	logger, err := fluent.New(fluent.Config{
		FluentHost:            *host,
		FluentPort:            *port,
		FluentNetwork:         network,
		TlsInsecureSkipVerify: *tls,
		RequestAck:            *ack,
		SubSecondPrecision:    *subsecond,
		Timeout:               *timeout,
		WriteTimeout:          *timeout,
		ReadTimeout:           *timeout,
		MaxRetry:              1,
		Async:                 false,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(2)
	}
	defer logger.Close()

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	sent := 0
	for in.Scan() {
		var record map[string]interface{}
		if err := json.Unmarshal(in.Bytes(), &record); err != nil {
			fmt.Fprintln(os.Stderr, "stdin line", sent+1, ":", err)
			os.Exit(2)
		}
		if err := logger.PostWithTime(*tag, time.Now(), record); err != nil {
			fmt.Fprintln(os.Stderr, "post", sent+1, ":", err)
			os.Exit(1)
		}
		sent++
	}
	fmt.Printf("sent %d\n", sent)
}
