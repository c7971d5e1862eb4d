// pause: the pod sandbox process of the harness's real node (scripts/setup.sh builds it; the
// harness packs it into an image FROM scratch). It holds the pod's namespaces until SIGTERM or
// SIGINT, and as PID 1 of the pod reaps nothing: pods here do not share a PID namespace.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
