// netcheck: the network probe of the harness's real-node tests (scripts/setup.sh builds it;
// tests pack it into an image FROM scratch). Static, pure-Go resolver (reads the pod's
// /etc/resolv.conf), no shell needed.
//
//	netcheck serve PORT TEXT   answers every HTTP request with TEXT ($HOSTNAME expanded)
//	netcheck get URL [TRIES]   GETs URL (3 s time-out per try, 1 s apart; default 1 try) and prints
//	                           the body; exit 1 when every try failed. A pod that has just started
//	                           may not be known to the policy engine yet: positive checks retry.
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
		tries := 1
		if len(os.Args) > 3 {
			if _, err := fmt.Sscan(os.Args[3], &tries); err != nil || tries < 1 {
				fmt.Fprintln(os.Stderr, "TRIES must be a positive number")
				os.Exit(2)
			}
		}
		for try := 1; ; try++ {
			body, err := get(os.Args[2])
			if err == nil {
				os.Stdout.Write(body)
				return
			}
			fmt.Fprintln(os.Stderr, err)
			if try == tries {
				os.Exit(1)
			}
			time.Sleep(time.Second)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

func get(url string) ([]byte, error) {
	client := &http.Client{Timeout: 3 * time.Second}
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
