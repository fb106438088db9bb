// CoreDNS with the five plugins the local cluster's Corefile uses, instead of
// CoreDNS's full set (whose cloud DNS backends double the build): the way
// CoreDNS documents building it with a chosen plugin list.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/kubernetes"
)

// The plugins in the order CoreDNS's plugin.cfg runs them.
var directives = []string{"bind", "errors", "cache", "kubernetes", "forward"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
