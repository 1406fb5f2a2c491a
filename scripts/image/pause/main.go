// nodenet's pause: the process that holds a pod sandbox's namespaces open for
// containerd in the lab, where no registry serves registry.k8s.io/pause.
// It sleeps until SIGTERM or SIGINT and, as PID 1 of the sandbox, reaps
// orphaned children so none linger as zombies.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
