#!/bin/sh
# /sbin/init of the kind node image that build-kind-node.sh assembles: starts systemd, as kind's
# /sbin/init -> systemd link does, except on a cgroup v1 host. There systemd 252 defaults to the
# hybrid layout and mounts the cgroup2 hierarchy itself; but Docker 20.10 on cgroup v1 gives its
# containers no cgroup2 cgroup of their own, so every node would mount the *same* cgroup2 tree and
# their systemds would fight over it (kubelet on the workers then fails "cgroup [kubelet kubepods]
# has some missing paths"). On such a host, systemd is kept to the v1 hierarchies (legacy layout,
# its own name=systemd hierarchy, which Docker does give each container). In a container, systemd
# reads these settings from its own command line.
if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
  exec /lib/systemd/systemd systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1 "$@"
fi
exec /lib/systemd/systemd "$@"
