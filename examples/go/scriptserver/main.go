package main

import (
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	guest := flag.String("guest", "lua.elf", "the script guest (lua.elf or js.elf)")
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	workers := flag.Int("workers", 2, "sandboxes, one request each at a time")
	flag.Parse()
	server, err := NewServer(*guest, *workers, Limits{Timeout: time.Second, CPUBudget: 200 * time.Millisecond, MaxScript: 64 << 10})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	log.Printf("serving %s on http://%s (POST a script)", *guest, *listen)
	log.Fatal(http.ListenAndServe(*listen, server))
}
