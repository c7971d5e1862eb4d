// netcheck: the network probe of the harness's real-node tests (scripts/setup.sh builds it;
// tests pack it into an image FROM scratch). Static, pure-Go resolver (reads the pod's
// /etc/resolv.conf), no shell needed.
//
//	netcheck serve PORT TEXT   answers every HTTP request with TEXT ($HOSTNAME expanded)
//	netcheck get URL           GETs URL (3 s time-out) and prints the body; exit 1 on any failure
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: netcheck serve PORT TEXT | netcheck get URL")
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
		client := &http.Client{Timeout: 3 * time.Second}
		res, err := client.Get(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			fmt.Fprintln(os.Stderr, res.Status, err)
			os.Exit(1)
		}
		os.Stdout.Write(body)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
