// coredns: CoreDNS with only the plugins the harness's cluster DNS uses (scripts/setup.sh builds
// it against COREDNS_VERSION). The stock build links every cloud provider's SDK and takes
// several times longer to compile on a cold machine.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/ready"
)

func init() {
	// The order a query passes through the plugins, as in CoreDNS's own plugin.cfg.
	dnsserver.Directives = []string{"ready", "health", "errors", "cache", "kubernetes"}
}

func main() { coremain.Run() }
