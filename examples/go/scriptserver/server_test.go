package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// The script guests, from the build tree (scripts/test.sh sets both).
func guests(t *testing.T) map[string]string {
	paths := map[string]string{"lua": os.Getenv("HYPERLIGHT_LUA_GUEST"), "js": os.Getenv("HYPERLIGHT_JS_GUEST")}
	for lang, path := range paths {
		if path == "" {
			t.Fatalf("set HYPERLIGHT_%s_GUEST to the built %s.elf", strings.ToUpper(lang), lang)
		}
	}
	return paths
}

// The same requests in each language.
var scripts = map[string]struct{ answer, hostCall, failing, scribble, check, forever string }{
	"lua": {
		answer:   "return 6*7",
		hostCall: `return host.call("Add", 40, 2)`,
		failing:  "local x = nil\nreturn x.field",
		scribble: "leaked = 'yes'; string.rep = nil; return 'scribbled'",
		check:    "return tostring(leaked) .. ' ' .. type(string.rep)",
		forever:  "while true do end",
	},
	"js": {
		answer:   "6*7",
		hostCall: `host.call("Add", 40, 2)`,
		failing:  "var x = null;\nx.field",
		scribble: "leaked = 'yes'; String.prototype.repeat = undefined; 'scribbled'",
		check:    "typeof leaked + ' ' + typeof String.prototype.repeat",
		forever:  "for (;;) {}",
	},
}

func post(t *testing.T, url, script string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader(script))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

func TestServesScriptsOnCleanInterpreters(t *testing.T) {
	for lang, guest := range guests(t) {
		t.Run(lang, func(t *testing.T) {
			s := scripts[lang]
			server, err := NewServer(guest, 2, Limits{Timeout: 2 * time.Second, CPUBudget: 200 * time.Millisecond, MaxScript: 4096})
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			web := httptest.NewServer(server)
			defer web.Close()

			if code, body := post(t, web.URL, s.answer); code != 200 || body != "42" {
				t.Fatalf("answer: %d %q", code, body)
			}
			if code, body := post(t, web.URL, s.hostCall); code != 200 || body != "42" {
				t.Fatalf("host call: %d %q", code, body)
			}
			if code, body := post(t, web.URL, s.failing); code != 422 || !strings.Contains(body, "2") {
				t.Fatalf("a failing script: %d %q (want 422 naming line 2)", code, body)
			}
			// Every request starts from the snapshot: what one script changed is gone.
			for i := 0; i < 4; i++ {
				if code, body := post(t, web.URL, s.scribble); code != 200 || body != "scribbled" {
					t.Fatalf("scribble: %d %q", code, body)
				}
			}
			want := map[string]string{"lua": "nil function", "js": "undefined function"}[lang]
			if code, body := post(t, web.URL, s.check); code != 200 || body != want {
				t.Fatalf("after scribbling: %d %q, want %q", code, body, want)
			}
			if code, body := post(t, web.URL, s.forever); code != 408 {
				t.Fatalf("an endless script: %d %q (want 408)", code, body)
			}
			if code, _ := post(t, web.URL, strings.Repeat(" ", 5000)); code != http.StatusRequestEntityTooLarge {
				t.Fatalf("an oversize script: %d", code)
			}
			// Two workers, many requests at once.
			var wg sync.WaitGroup
			errs := make(chan string, 16)
			for i := 0; i < 16; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code, body := post(t, web.URL, s.answer); code != 200 || body != "42" {
						errs <- body
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Errorf("concurrent request: %q", e)
			}
		})
	}
}
