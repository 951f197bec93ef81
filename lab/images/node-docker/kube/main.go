// Command kube is one static binary holding every Kubernetes v1.23 program a Docker-runtime kind
// node needs, chosen by the name it is called as. Same reason as lab/images/node/kube: the seven
// programs share most of their code, so linking once instead of seven times saves a two-core box
// a long time, and every control-plane image shares one layer. 1.23 is the last release whose
// kubelet carries dockershim (kubelet --container-runtime=docker).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	_ "time/tzdata" // CronJob time zones, as upstream's apiserver and controller-manager embed it

	"k8s.io/component-base/cli"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubeadm "k8s.io/kubernetes/cmd/kubeadm/app"
	kubeadmutil "k8s.io/kubernetes/cmd/kubeadm/app/util"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

var programs = map[string]func() int{
	"kube-apiserver": func() int {
		// Upstream's 1.23 main does this because it was released with Go 1.17: SHA-1 signed
		// certificates still verify and the GC runs at the tuning 1.23 was measured with.
		if g := os.Getenv("GODEBUG"); !strings.Contains(g, "x509sha1") {
			os.Setenv("GODEBUG", strings.TrimPrefix(g+",x509sha1=1", ","))
		}
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(63)
		}
		return cli.Run(apiserver.NewAPIServerCommand())
	},
	"kube-controller-manager": func() int { return cli.Run(controllermanager.NewControllerManagerCommand()) },
	"kube-scheduler":          func() int { return cli.Run(scheduler.NewSchedulerCommand()) },
	"kube-proxy":              func() int { return cli.Run(proxy.NewProxyCommand()) },
	"kubelet": func() int {
		// The 1.23 kubelet parses its own flags and config file, so it is not run through cli.Run.
		defer logs.FlushLogs()
		rand.Seed(time.Now().UnixNano())
		cmd := kubelet.NewKubeletCommand()
		cmd.SetGlobalNormalizationFunc(cliflag.WordSepNormalizeFunc)
		if err := cmd.Execute(); err != nil {
			return 1
		}
		return 0
	},
	"kubeadm": func() int {
		kubeadmutil.CheckErr(kubeadm.Run())
		return 0
	},
	"kubectl": func() int {
		if err := cli.RunNoErrOutput(kubectlcmd.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
		return 0
	},
	"lab-cni": labCNI,
}

func main() {
	name := filepath.Base(os.Args[0])
	run, ok := programs[name]
	// Called as "kube <program> ...": shift so cobra sees the program's own arguments.
	if !ok && len(os.Args) > 1 {
		if run, ok = programs[os.Args[1]]; ok {
			os.Args = os.Args[1:]
			os.Args[0] = filepath.Join(filepath.Dir(os.Args[0]), os.Args[0])
		}
	}
	if !ok {
		names := make([]string, 0, len(programs))
		for n := range programs {
			names = append(names, n)
		}
		fmt.Fprintf(os.Stderr, "kube: call me as one of: %s\n", strings.Join(names, ", "))
		os.Exit(2)
	}
	os.Exit(run())
}
