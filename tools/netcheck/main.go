// netcheck: the network probe of the harness's real-node tests (scripts/setup.sh builds it;
// tests pack it into an image FROM scratch). Static, pure-Go resolver (reads the pod's
// /etc/resolv.conf), no shell needed.
//
//	netcheck serve PORT TEXT      answers every HTTP request with TEXT ($HOSTNAME expanded)
//	netcheck get URL [TRIES]      GETs URL (3 s time-out per try, 1 s apart; default 1 try) and prints
//	                              the body; exit 1 when every try failed. A pod that has just started
//	                              may not be known to the policy engine yet: positive checks retry.
//	                              An https URL is verified against the PEM file $NETCHECK_CA (an image
//	                              FROM scratch has no system roots).
//	netcheck banner HOST:PORT [TRIES]
//	                              connects over TCP and prints the first line the server sends on its
//	                              own (a NATS server's INFO); tries and exit code as for get.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

const timeout = 3 * time.Second

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: netcheck serve PORT TEXT | netcheck get URL [TRIES] | netcheck banner HOST:PORT [TRIES]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		text := ""
		if len(os.Args) > 3 {
			text = os.ExpandEnv(os.Args[3])
		}
		http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, text) })
		server := &http.Server{Addr: ":" + os.Args[2], ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintln(os.Stderr, server.ListenAndServe())
		os.Exit(1)
	case "get":
		retry(func() ([]byte, error) { return get(os.Args[2]) })
	case "banner":
		retry(func() ([]byte, error) { return banner(os.Args[2]) })
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

// retry runs probe up to TRIES times (the optional third argument), 1 s apart, and prints what
// the first success returned; exit 1 when every try failed.
func retry(probe func() ([]byte, error)) {
	tries := 1
	if len(os.Args) > 3 {
		if _, err := fmt.Sscan(os.Args[3], &tries); err != nil || tries < 1 {
			fmt.Fprintln(os.Stderr, "TRIES must be a positive number")
			os.Exit(2)
		}
	}
	for try := 1; ; try++ {
		out, err := probe()
		if err == nil {
			os.Stdout.Write(out)
			return
		}
		fmt.Fprintln(os.Stderr, err)
		if try == tries {
			os.Exit(1)
		}
		time.Sleep(time.Second)
	}
}

func get(url string) ([]byte, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if caFile := os.Getenv("NETCHECK_CA"); caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", caFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	client := &http.Client{Timeout: timeout, Transport: transport}
	res, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, res.Status)
	}
	return body, nil
}

func banner(address string) ([]byte, error) {
	conn, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: no line from the server", address), err)
	}
	return line, nil
}
