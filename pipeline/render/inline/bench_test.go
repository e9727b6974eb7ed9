package inline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render/inline"
)

func newsletter(b *testing.B) string {
	b.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "newsletter.html"))
	if err != nil {
		b.Fatal(err)
	}
	return string(src)
}

// BenchmarkInline is the one-shot path: the stylesheet parsed, then applied
// to a whole newsletter of the default layout's size.
func BenchmarkInline(b *testing.B) {
	src := newsletter(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inline.Inline(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply applies a compiled stylesheet to a whole newsletter.
func BenchmarkApply(b *testing.B) {
	src := newsletter(b)
	s, err := inline.FromHTML(src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		s.Apply(src)
	}
}

// BenchmarkApplyBlock applies a compiled stylesheet to one content block
// in its context, as render does for each block of a template set.
func BenchmarkApplyBlock(b *testing.B) {
	src := newsletter(b)
	s, err := inline.FromHTML(src)
	if err != nil {
		b.Fatal(err)
	}
	start := strings.Index(src, `<tr><td class="block block-airlines-upgrade"`)
	end := start + strings.Index(src[start:], "</td></tr>")
	ctx := inline.Ancestors(src, start)
	block := src[start:end]
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	for b.Loop() {
		s.Apply(block, ctx...)
	}
}
