#!/bin/sh
# cgroup v2 only (not this lab's hosts, but laptops): kubelet's cgroupRoot /kubelet needs every
# controller enabled down the tree, which is only possible once systemd has moved all processes out
# of the root group, hence at kubelet start rather than in the entrypoint.
set -eu
enable() { sed -e 's/ / +/g' -e 's/^/+/' "/sys/fs/cgroup/$1/cgroup.controllers" >"/sys/fs/cgroup/$1/cgroup.subtree_control"; }
enable /
for g in kubelet kubelet.slice; do mkdir -p "/sys/fs/cgroup/$g"; enable "$g"; done
