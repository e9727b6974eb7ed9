package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestPreviewBrowser drives the preview of the example in headless
// Chromium: the index filters its rows, the keyboard opens a variant, the
// mobile view shows the 375 px frame alone, the desktop frame shows the
// newsletter, and a template edit reloads the open page with the new text.
// Without a browser it skips, but fails in CI (CI=true).
func TestPreviewBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium or Chrome on PATH (chromium, chromium-browser, google-chrome): CI must install one")
		}
		t.Skip("no Chromium or Chrome on PATH (chromium, chromium-browser, google-chrome): install one to run the browser test")
	}
	p := startPreview(t, true)
	base, tpl, ctx := p.base, p.templates, p.ctx

	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1400, 1000))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	tctx, tcancel := context.WithTimeout(bctx, 40*time.Second)
	defer tcancel()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(what, js string) int {
		t.Helper()
		n, err := chromedp.Run(tctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return n
	}
	const visibleRows = `document.querySelectorAll("#variants tbody tr:not([hidden])").length`

	// The index lists every variant; the search and the filters hide rows.
	do("open the index", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#variants")))
	if n := eval("count the rows", visibleRows); n != 12 {
		t.Fatalf("the index shows %d variants, want 12", n)
	}
	do("search", chromedp.SendKeys(chromedp.CSS("#search"), "v0003"))
	if n := eval("count the rows after searching", visibleRows); n != 1 {
		t.Errorf("searching v0003 leaves %d rows, want 1", n)
	}
	do("clear the search", chromedp.SendKeys(chromedp.CSS("#search"), strings.Repeat(kb.Backspace, len("v0003"))+kb.Escape))
	if n := eval("count the rows after clearing", visibleRows); n != 12 {
		t.Errorf("clearing the search shows %d rows, want 12", n)
	}
	// Choose the interest that the fewest variants have, as a reader would:
	// the select's value, then its change event.
	want := eval("choose an interest", `(() => {
		const sel = document.getElementById("filter-interest");
		const rows = Array.from(document.querySelectorAll("#variants tbody tr"));
		let best = "", fewest = rows.length;
		for (const o of sel.options) {
			if (!o.value) continue;
			const n = rows.filter(r => r.dataset.interests.split(" ").includes(o.value)).length;
			if (n < fewest) { best = o.value; fewest = n; }
		}
		sel.value = best;
		sel.dispatchEvent(new Event("change", {bubbles: true}));
		return best ? fewest : -1;
	})()`)
	if want < 0 {
		t.Fatal("no interest filter is held by fewer than all 12 variants")
	}
	if n := eval("count the rows after filtering", visibleRows); n != want || n == 12 {
		t.Errorf("the interest filter leaves %d rows, want %d", n, want)
	}
	eval("clear the filter", `(() => {
		const sel = document.getElementById("filter-interest");
		sel.value = "";
		sel.dispatchEvent(new Event("change", {bubbles: true}));
		return 0;
	})()`)
	if n := eval("count the rows after clearing the filter", visibleRows); n != 12 {
		t.Errorf("clearing the filter shows %d rows, want 12", n)
	}

	// A click on Audience sorts by it, the largest first on the second.
	for _, dir := range []struct {
		name string
		sign int
	}{{"ascending", 1}, {"descending", -1}} {
		do("sort by audience, "+dir.name, chromedp.Click(chromedp.CSS(`#variants thead th:nth-child(3) button`)))
		if n := eval("check the order", fmt.Sprintf(`(() => {
			const v = Array.from(document.querySelectorAll("#variants tbody tr")).map(r => parseFloat(r.cells[2].dataset.sort));
			let bad = 0;
			for (let i = 1; i < v.length; i++) if ((v[i] - v[i-1]) * %d < 0) bad++;
			return document.querySelector("#variants thead th:nth-child(3)").getAttribute("aria-sort") === %q ? bad : -1;
		})()`, dir.sign, dir.name)); n != 0 {
			t.Errorf("sorted %s by audience: %d rows out of order (-1: the header does not say so)", dir.name, n)
		}
	}

	// j selects the first row, j again the second, Enter opens it.
	href, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelectorAll("#variants tbody tr")[1].dataset.href`))
	if err != nil {
		t.Fatalf("find the second row: %v", err)
	}
	id := strings.TrimPrefix(href, "/v/")
	do("open a variant with the keyboard",
		chromedp.Blur(chromedp.CSS("#search")),
		chromedp.KeyEvent("jj"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#frames")))
	if loc, err := chromedp.Run(tctx, chromedp.Location()); err != nil || loc != base+"/v/"+id {
		t.Fatalf("j j Enter went to %q (%v), want %s", loc, err, base+"/v/"+id)
	}

	// The desktop frame holds the newsletter. It is sandboxed, an opaque
	// origin that Chrome may run in its own process: read it through its
	// own target when it has one, else from the iframe's node.
	text := frameText(t, tctx, base+"/v/"+id+"/html", "Meridian Card")
	if !strings.Contains(text, "Meridian Card") {
		t.Fatalf("the desktop frame does not show the newsletter: %.200q", text)
	}

	// Mobile 375 px shows the mobile frame alone.
	do("choose the mobile view", chromedp.Click(chromedp.CSS(`[data-view="mobile"]`)))
	if d, m := eval("measure the desktop frame", `document.querySelector(".frame.desktop iframe").getBoundingClientRect().width`),
		eval("measure the mobile frame", `document.querySelector(".frame.mobile iframe").getBoundingClientRect().width`); d != 0 || m != 375 {
		t.Errorf("in the mobile view the desktop frame is %d px wide, the mobile one %d px; want 0 and 375", d, m)
	}
	do("choose both views", chromedp.Click(chromedp.CSS(`[data-view="both"]`)))
	if d := eval("measure the desktop frame", `document.querySelector(".frame.desktop iframe").getBoundingClientRect().width`); d != 600 {
		t.Errorf("in both views the desktop frame is %d px wide, want 600", d)
	}
	dark := `(document.getElementById("frames").classList.contains("dark") && document.getElementById("dark").getAttribute("aria-pressed") === "true") ? 1 : 0`
	do("turn the dark view on", chromedp.Click(chromedp.CSS(`#dark`)))
	if eval("check the dark view", dark) != 1 {
		t.Error("the Dark button does not darken the frames")
	}

	// View as the second reader: their own message, in the view chosen
	// before; r goes on to the next reader.
	reader, err := chromedp.Run(tctx, chromedp.Evaluate[struct{ Href, Name string }](
		`(() => { const a = document.querySelectorAll('#readers a')[1]; return a ? {Href: a.getAttribute("href"), Name: a.querySelector("strong").textContent} : {}; })()`))
	if err != nil || reader.Href == "" {
		t.Fatalf("the variant page has no second reader to view as (%v)", err)
	}
	do("view as the second reader", chromedp.Click(chromedp.CSS(`#readers li:nth-child(2) a`)), chromedp.WaitVisible(chromedp.CSS("#frames")))
	if loc, err := chromedp.Run(tctx, chromedp.Location()); err != nil || loc != base+reader.Href {
		t.Fatalf("the second reader's link went to %q (%v), want %s", loc, err, base+reader.Href)
	}
	if text := frameText(t, tctx, base+"/v/"+id+"/html?as=1", "Hello "+reader.Name+","); !strings.Contains(text, "Hello "+reader.Name+",") {
		t.Errorf("viewed as %s, the frame says %.200q", reader.Name, text)
	}
	if eval("check the dark view after the reader", dark) != 1 {
		t.Error("the dark view did not last to the next page")
	}
	do("turn the dark view off", chromedp.Click(chromedp.CSS(`#dark`)))
	do("the next reader", chromedp.KeyEvent("r"), chromedp.WaitVisible(chromedp.CSS(`#readers li:nth-child(3) a[aria-current="page"]`)))
	if loc, err := chromedp.Run(tctx, chromedp.Location()); err != nil || loc != base+"/v/"+id+"?as=2" {
		t.Fatalf("r went to %q (%v), want %s", loc, err, base+"/v/"+id+"?as=2")
	}

	// A template edit reloads the open page, and its frame shows the new text.
	eval("mark the page", `window.tailorBeforeEdit = 1`)
	greeting := filepath.Join(tpl, "blocks", "intro-greeting.md")
	src, err := os.ReadFile(greeting)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "Here are this month", "Live from the browser: here are this month", 1)
	if edited == string(src) {
		t.Fatal("intro-greeting.md no longer says \"Here are this month\"")
	}
	if err := os.WriteFile(greeting, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	// The page's JavaScript context goes with the reload, so ask again
	// until a new page, without the mark, answers.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		reloaded, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`window.tailorBeforeEdit === undefined && document.getElementById("frames") !== null`))
		if err == nil && reloaded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not reload within 10 s of the edit (last: %v)", err)
		}
	}
	if text := frameText(t, tctx, base+"/v/"+id+"/html?as=2", "Live from the browser"); !strings.Contains(text, "Live from the browser") {
		t.Errorf("after the reload the frame says %.200q, without the edit", text)
	}

	// A template error shows in the open page, with its file and line,
	// and the save that fixes it takes it away.
	broken := strings.Replace(edited, "Live from the browser", "Live {{ .Recipient.FirstName", 1)
	if err := os.WriteFile(greeting, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	do("see the problem", chromedp.WaitVisible(chromedp.CSS("#preview-problem")))
	problem, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.getElementById("preview-problem").textContent`))
	if err != nil || !strings.Contains(problem, "intro-greeting.md:") || !strings.Contains(problem, "Live {{ .Recipient.FirstName") {
		t.Errorf("the problem box says %q (%v), want the file:line and the source line", problem, err)
	}
	if err := os.WriteFile(greeting, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		gone, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`document.getElementById("preview-problem") === null && document.getElementById("frames") !== null`))
		if err == nil && gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the problem box stayed 10 s after the fix (last: %v)", err)
		}
	}

	bcancel()
	if err := p.stop(); err != nil {
		t.Fatalf("preview: %v", err)
	}
}

// frameText returns the text of the desktop frame of the page, which
// loaded url, once it holds want or after a few seconds.
func frameText(t *testing.T, ctx context.Context, url, want string) string {
	t.Helper()
	var text string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		text = frameTextOnce(ctx, url)
		if strings.Contains(text, want) {
			return text
		}
		time.Sleep(100 * time.Millisecond)
	}
	return text
}

func frameTextOnce(ctx context.Context, url string) string {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	infos, err := chromedp.Targets(qctx)
	if err != nil {
		return ""
	}
	// Both frames load url: the desktop one is the wider.
	for _, info := range infos {
		if info.Type != "iframe" || info.URL != url {
			continue
		}
		fctx, cancel := chromedp.NewContext(qctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
		frame, err := chromedp.Run(fctx, chromedp.Evaluate[struct {
			Width int
			Text  string
		}](`({Width: innerWidth, Text: document.body ? document.body.innerText : ""})`))
		cancel()
		if err == nil && frame.Width > 500 {
			return frame.Text
		}
	}
	// A browser that keeps the frame in the page's process: its document
	// hangs from the iframe's node. A frame not loaded yet has none, and the
	// query waits, so only briefly.
	nctx, ncancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer ncancel()
	nodes, err := chromedp.Run(nctx, chromedp.Nodes(chromedp.CSS(".frame.desktop iframe")))
	if err != nil || len(nodes) == 0 {
		return ""
	}
	s, _ := chromedp.Run(nctx, chromedp.Text(chromedp.CSS("body"), chromedp.FromNode(nodes[0])))
	return s
}

// findBrowser returns the path of Chromium or Chrome, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
