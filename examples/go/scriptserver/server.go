// Package main serves untrusted scripts over HTTP, one sandbox per worker,
// every request on a clean interpreter: each sandbox is made from one
// snapshot of a guest (lua.elf or js.elf) whose interpreter is ready, and
// each request is an Eval through CallAndRestoreWithOptions, which puts the
// sandbox back into the snapshot's state whatever the script did.
package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"hyperlight.dev/hyperlight"
)

// Limits for one request: wall time (host functions included) and guest
// CPU time (the script's own work).
type Limits struct {
	Timeout   time.Duration
	CPUBudget time.Duration
	MaxScript int64 // bytes of script accepted per request
}

type worker struct {
	sandbox *hyperlight.Sandbox
}

// Server is an http.Handler: POST a script, get its result as text.
type Server struct {
	snapshot *hyperlight.Snapshot
	workers  chan *worker
	all      []*worker
	limits   Limits
	hosts    *hyperlight.HostFunctions
}

// NewServer boots guest once, snapshots it, and makes n sandboxes from the
// snapshot. Scripts may call the host function Add(i64, i64) -> i64 through
// the guest's host.call bridge.
func NewServer(guest string, n int, limits Limits) (*Server, error) {
	hosts, err := hyperlight.NewHostFunctions()
	if err != nil {
		return nil, err
	}
	if err := hosts.Add("Add", func(a, b int64) int64 { return a + b }); err != nil {
		return nil, err
	}
	cfg := &hyperlight.Config{HostFunctions: hosts}
	first, err := hyperlight.NewSandbox(guest, cfg)
	if err != nil {
		return nil, err
	}
	snapshot, err := first.Snapshot()
	if err != nil {
		first.Close()
		return nil, err
	}
	s := &Server{snapshot: snapshot, workers: make(chan *worker, n), limits: limits, hosts: hosts}
	s.add(&worker{sandbox: first})
	for i := 1; i < n; i++ {
		sb, err := hyperlight.NewSandboxFromSnapshot(snapshot, cfg)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.add(&worker{sandbox: sb})
	}
	return s, nil
}

func (s *Server) add(w *worker) {
	s.all = append(s.all, w)
	s.workers <- w
}

// Close closes every sandbox, the snapshot and the host functions.
func (s *Server) Close() {
	for _, w := range s.all {
		w.sandbox.Close()
	}
	s.snapshot.Close()
	s.hosts.Close()
}

// Eval runs one script on a free worker and returns its result.
func (s *Server) Eval(script string) (string, hyperlight.CallStats, error) {
	w := <-s.workers
	defer func() { s.workers <- w }()
	opts := hyperlight.CallOptions{Timeout: s.limits.Timeout, CPUBudget: s.limits.CPUBudget}
	result, stats, err := w.sandbox.CallAndRestoreWithOptions(s.snapshot, opts, "Eval", script)
	if err != nil {
		return "", stats, err
	}
	text, _ := result.(string)
	return text, stats, nil
}

// ServeHTTP: POST the script as the body. 200 with the result; 422 for a
// script error (the engine's message and line); 408 when a limit stopped it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a script", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.limits.MaxScript+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if int64(len(body)) > s.limits.MaxScript {
		http.Error(w, fmt.Sprintf("scripts are limited to %d bytes", s.limits.MaxScript), http.StatusRequestEntityTooLarge)
		return
	}
	result, stats, err := s.Eval(string(body))
	w.Header().Set("X-Guest-Cpu", stats.GuestCPU.String())
	var hlErr *hyperlight.Error
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, result)
	case errors.As(err, &hlErr) && (hlErr.Code == hyperlight.ErrorTimeout || hlErr.Code == hyperlight.ErrorCpuBudgetExceeded):
		http.Error(w, "the script ran out of time: "+hlErr.Message, http.StatusRequestTimeout)
	case errors.As(err, &hlErr) && hlErr.Code == hyperlight.ErrorGuestError:
		http.Error(w, strings.TrimSpace(hlErr.Message), http.StatusUnprocessableEntity)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
