package send_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// memOutbox is an outbox in memory.
type memOutbox struct {
	mu    sync.Mutex
	files map[string][]byte
	warns []string
}

func newOutbox(c *send.Composer) (*send.Outbox, *memOutbox) {
	mem := &memOutbox{files: map[string][]byte{}}
	return &send.Outbox{
		Composer: c,
		Put: func(rel string, data []byte) error {
			mem.mu.Lock()
			defer mem.mu.Unlock()
			if _, dup := mem.files[rel]; dup {
				return fmt.Errorf("%s written twice", rel)
			}
			mem.files[rel] = data
			return nil
		},
		Warn: func(msg string) { mem.warns = append(mem.warns, msg) },
	}, mem
}

func (m *memOutbox) csv(t *testing.T, name string) [][]string {
	t.Helper()
	b, ok := m.files[name]
	if !ok {
		t.Fatalf("no %s", name)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rows
}

// TestOutboxWrite writes 40 messages of two variants, one recipient
// refused, the early messages the slowest, and checks the files and both
// lists, in the recipients' order.
func TestOutboxWrite(t *testing.T) {
	c := newComposer()
	ns := []*render.Newsletter{compile(t, "v0001"), compile(t, "v0002")}
	type item struct {
		n  int
		rc render.Recipient
	}
	var items []item
	for i := range 40 {
		rc := cardholder(fmt.Sprintf("C%04d", i))
		if i == 27 {
			rc.FirstName = "Eve\r\nBcc: eve@evil.example"
		}
		items = append(items, item{n: i / 20, rc: rc})
	}
	items[5].rc.ID = "C/0005" // a name no file can take as it is
	o, mem := newOutbox(c)
	res, err := o.Write(context.Background(), len(items), func(i int) (*render.Newsletter, render.Recipient) {
		if i < 4 {
			time.Sleep(time.Duration(4-i) * 5 * time.Millisecond)
		}
		return ns[items[i].n], items[i].rc
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 39 || res.Refused != 1 {
		t.Errorf("%d messages, %d refused; want 39, 1", res.Messages, res.Refused)
	}
	var re *send.RefusedError
	if !errors.As(res.FirstRefusal, &re) || re.Recipient != "C0027" || re.Variant != "v0002" {
		t.Fatalf("first refusal %v, want C0027's", res.FirstRefusal)
	}
	_, cerr := c.Compose(ns[1], items[27].rc)
	if cerr == nil {
		t.Fatal("C0027 composed")
	}
	want := cerr.Error()
	if res.FirstRefusal.Error() != want {
		t.Errorf("first refusal %q, want Compose's %q", res.FirstRefusal, want)
	}
	if got := mem.files["refused.csv"]; string(got) != "variant,cardholder_id,reason\nv0002,C0027,\""+strings.ReplaceAll(want, `"`, `""`)+"\"\n" {
		t.Errorf("refused.csv:\n%s", got)
	}
	if len(mem.warns) != 1 || mem.warns[0] != want {
		t.Errorf("warnings %q, want the one reason", mem.warns)
	}

	index := mem.csv(t, "index.csv")
	if !slices.Equal(index[0], []string{"variant", "cardholder_id", "email", "message_id", "file"}) {
		t.Errorf("index.csv header %q", index[0])
	}
	rows := index[1:]
	if len(rows) != 39 {
		t.Fatalf("index.csv lists %d messages, want 39", len(rows))
	}
	wantFiles := []string{"index.csv", "refused.csv"}
	r := 0
	for i, it := range items {
		if i == 27 {
			continue
		}
		row := rows[r]
		r++
		v := ns[it.n].Variant.ID
		file := v + "/" + send.EMLName(it.rc.ID)
		if row[0] != v || row[1] != it.rc.ID || row[2] != it.rc.Email || row[4] != file {
			t.Errorf("index.csv row %d = %q, want %s %s %s ... %s", r, row, v, it.rc.ID, it.rc.Email, file)
			continue
		}
		c, err := c.Compose(ns[it.n], it.rc)
		if err != nil {
			t.Fatal(err)
		}
		if row[3] != c.MessageID {
			t.Errorf("%s: message_id %q, want %q", file, row[3], c.MessageID)
		}
		if string(mem.files[file]) != string(c.EML) {
			t.Errorf("%s is not the composed message", file)
		}
		wantFiles = append(wantFiles, file)
	}
	if got := slices.Sorted(maps.Keys(mem.files)); !slices.Equal(got, slices.Sorted(slices.Values(wantFiles))) {
		t.Errorf("files %q, want %q", got, slices.Sorted(slices.Values(wantFiles)))
	}
	if rows[5][4] == "v0001/C/0005.eml" || strings.Count(rows[5][4], "/") != 1 {
		t.Errorf("C/0005's file %q", rows[5][4])
	}
}

// TestOutboxWarnings checks that only the first 10 refusals are told one
// by one, then the count.
func TestOutboxWarnings(t *testing.T) {
	n := compile(t, "v0001")
	o, mem := newOutbox(newComposer())
	res, err := o.Write(context.Background(), 14, func(i int) (*render.Newsletter, render.Recipient) {
		rc := cardholder(fmt.Sprintf("C%02d", i))
		if i > 0 {
			rc.Email = "nobody"
		}
		return n, rc
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 1 || res.Refused != 13 {
		t.Errorf("%d messages, %d refused; want 1, 13", res.Messages, res.Refused)
	}
	if len(mem.warns) != 11 || !strings.Contains(mem.warns[0], "C01") || !strings.Contains(mem.warns[9], "C10") ||
		mem.warns[10] != "13 recipients refused in all, see outbox/refused.csv" {
		t.Errorf("warnings:\n%s", strings.Join(mem.warns, "\n"))
	}
	if rows := mem.csv(t, "refused.csv"); len(rows) != 14 || rows[13][1] != "C13" {
		t.Errorf("refused.csv = %q", rows)
	}
	o.Warn = nil // optional
	if _, err := o.Write(context.Background(), 0, nil); err == nil {
		t.Error("the second write put index.csv again without an error")
	}
}

// TestOutboxEmpty checks that an outbox of no message has both lists,
// with their headers only.
func TestOutboxEmpty(t *testing.T) {
	o, mem := newOutbox(newComposer())
	res, err := o.Write(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res != (send.OutboxResult{}) {
		t.Errorf("result %+v", res)
	}
	if string(mem.files["index.csv"]) != "variant,cardholder_id,email,message_id,file\n" || string(mem.files["refused.csv"]) != "variant,cardholder_id,reason\n" || len(mem.files) != 2 {
		t.Errorf("files %q", mem.files)
	}
}

// TestOutboxStops checks that what is no refusal stops Write, without the
// lists: a sender no header can carry, a file that cannot be written, a
// context done.
func TestOutboxStops(t *testing.T) {
	n := compile(t, "v0001")
	message := func(i int) (*render.Newsletter, render.Recipient) { return n, cardholder(fmt.Sprintf("C%03d", i)) }
	full := errors.New("disk full")
	tests := []struct {
		name string
		edit func(*send.Outbox)
		ctx  func() context.Context
		is   error
	}{
		{name: "bad from", edit: func(o *send.Outbox) { o.Composer.Envelope.Sender.From = "Meridian" }, is: render.ErrHeader},
		{name: "put fails", edit: func(o *send.Outbox) {
			put := o.Put
			o.Put = func(rel string, data []byte) error {
				if rel == "v0001/C042.eml" {
					return full
				}
				return put(rel, data)
			}
		}, is: full},
		{name: "context done", ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, is: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, mem := newOutbox(newComposer())
			if tt.edit != nil {
				tt.edit(o)
			}
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			res, err := o.Write(ctx, 100, message)
			if !errors.Is(err, tt.is) {
				t.Fatalf("error %v, want %v", err, tt.is)
			}
			var re *send.RefusedError
			if errors.As(err, &re) {
				t.Errorf("error %v is a refusal", err)
			}
			if res != (send.OutboxResult{}) {
				t.Errorf("result %+v with the error", res)
			}
			if _, ok := mem.files["index.csv"]; ok {
				t.Error("index.csv written")
			}
		})
	}
}

func TestEMLName(t *testing.T) {
	for _, tt := range []struct{ id, want string }{
		{"C0000001", "C0000001.eml"},
		{"a_b-C", "a_b-C.eml"},
		{"a/b", "a_b-c14cddc0.eml"}, // printf a/b | sha256sum
		{"../x", "___x-d6b96a97.eml"},
	} {
		if got := send.EMLName(tt.id); got != tt.want {
			t.Errorf("EMLName(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
	if send.EMLName("a/b") == send.EMLName("a:b") || send.EMLName("a/b") == send.EMLName("a_b") {
		t.Error("ids that differ share a file name")
	}
}
