package main

// lab-cni: the lab's own minimal pod network, run as a hostNetwork DaemonSet. Each node gets a Linux
// bridge holding its pods (Debian's bridge + host-local plugins); routes to other nodes' pod ranges
// go through their InternalIP, which works because all kind nodes share one Docker network. This is
// the same design as kind's kindnetd, written small so it builds from the Go module proxy.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

func labCNI() int {
	nodeName := os.Getenv("NODE_NAME")
	podSubnet := os.Getenv("POD_SUBNET")
	confDir := envOr("CNI_CONF_DIR", "/etc/cni/net.d")
	if nodeName == "" || podSubnet == "" {
		klog.Error("lab-cni: NODE_NAME and POD_SUBNET must be set")
		return 2
	}
	if _, _, err := net.ParseCIDR(podSubnet); err != nil {
		klog.Errorf("lab-cni: POD_SUBNET %q: %v", podSubnet, err)
		return 2
	}
	// kind hands us the apiserver's address on the Docker network: the Service address that
	// in-cluster config would use needs kube-proxy, which may not be up yet.
	if ep := os.Getenv("CONTROL_PLANE_ENDPOINT"); ep != "" {
		if host, port, err := net.SplitHostPort(ep); err == nil {
			os.Setenv("KUBERNETES_SERVICE_HOST", host)
			os.Setenv("KUBERNETES_SERVICE_PORT", port)
		}
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		klog.Errorf("lab-cni: %v", err)
		return 1
	}
	client := kubernetes.NewForConfigOrDie(cfg)

	// Pods must reach containers on the kind Docker network (Kafka and friends run there); those
	// containers have no route back to pod ranges, so traffic leaving the pod network is masqueraded
	// to the node's address. Pod-to-pod keeps its source address: Consul gossip relies on it.
	if err := ensureMasquerade(podSubnet); err != nil {
		klog.Errorf("lab-cni: masquerade: %v", err)
		return 1
	}
	// The bridge plugin turns this on too, but only once the first pod starts; routes to other
	// nodes' pods need it from the start.
	_ = os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)

	routes := map[string]string{}
	for {
		if err := syncOnce(client, nodeName, confDir, routes); err != nil {
			klog.Errorf("lab-cni: %v", err)
		}
		time.Sleep(5 * time.Second)
	}
}

func syncOnce(client kubernetes.Interface, self, confDir string, routes map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		cidr := n.Spec.PodCIDR
		if cidr == "" {
			continue
		}
		if n.Name == self {
			if err := writeConflist(confDir, cidr); err != nil {
				return err
			}
			continue
		}
		ip := internalIP(n)
		if ip == "" || routes[cidr] == ip {
			continue
		}
		// "replace" is idempotent and also fixes a route left over from a node that came back with
		// a new address after a restart.
		if out, err := exec.Command("ip", "route", "replace", cidr, "via", ip).CombinedOutput(); err != nil {
			klog.Errorf("lab-cni: route %s via %s: %v: %s", cidr, ip, err, out)
			continue
		}
		klog.Infof("lab-cni: route %s via %s (%s)", cidr, ip, n.Name)
		routes[cidr] = ip
	}
	return nil
}

func internalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && net.ParseIP(a.Address).To4() != nil {
			return a.Address
		}
	}
	return ""
}

func writeConflist(dir, podCIDR string) error {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "lab",
		"plugins": []any{
			map[string]any{
				"type":      "bridge",
				"bridge":    "lab0",
				"isGateway": true,
				// Masquerading is done once per node by lab-cni, excluding the whole pod network;
				// the plugin's own rule would also hide pod addresses from pods on other nodes.
				"ipMasq":      false,
				"hairpinMode": true, // a pod reaching itself through its own Service
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": podCIDR}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "10-lab.conflist")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	// Write then rename: kubelet polls this folder and must never see half a file.
	tmp := filepath.Join(dir, ".10-lab.conflist.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	klog.Infof("lab-cni: wrote %s for %s", path, podCIDR)
	return nil
}

func ensureMasquerade(podSubnet string) error {
	rule := []string{"POSTROUTING", "-t", "nat", "-s", podSubnet, "!", "-d", podSubnet,
		"-m", "addrtype", "!", "--dst-type", "LOCAL", "-m", "comment", "--comment", "lab-cni masquerade", "-j", "MASQUERADE"}
	if exec.Command("iptables", append([]string{"-C"}, rule...)...).Run() == nil {
		return nil
	}
	if out, err := exec.Command("iptables", append([]string{"-A"}, rule...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
