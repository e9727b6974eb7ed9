package send_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"iter"
	"slices"
	"sync"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send"
)

func TestSampler(t *testing.T) {
	refused := cardholder("C01")
	refused.FirstName = "Eve\r\nBcc: eve@evil.example"
	bad := cardholder("C02")
	bad.Email = "nobody"
	tests := []struct {
		name       string
		candidates []render.Recipient
		want       send.Sample // but for MessageID and Subject
		wantFrom   render.Recipient
	}{
		{name: "first safe", candidates: []render.Recipient{cardholder("C10"), cardholder("C11")},
			want: send.Sample{File: "sample.eml", Recipient: "C10"}, wantFrom: cardholder("C10")},
		{name: "refused skipped", candidates: []render.Recipient{refused, cardholder("C11"), cardholder("C12")},
			want: send.Sample{File: "sample.eml", Recipient: "C11", Skipped: 1}, wantFrom: cardholder("C11")},
		{name: "none", want: send.Sample{File: "sample.eml", Recipient: "SAMPLE", Preview: true}, wantFrom: render.SampleRecipient()},
		{name: "all refused", candidates: []render.Recipient{refused, bad},
			want: send.Sample{File: "sample.eml", Recipient: "SAMPLE", Preview: true, Skipped: 2}, wantFrom: render.SampleRecipient()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newComposer()
			n := compile(t, "v0003")
			s := &send.Sampler{Composer: c, Candidates: func(v string) iter.Seq[render.Recipient] {
				if v != "v0003" {
					t.Errorf("candidates of %q", v)
				}
				return slices.Values(tt.candidates)
			}}
			got, sample, err := s.Sample(n)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.Compose(n, tt.wantFrom)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.EML, want.EML) {
				t.Errorf("the sample is not %s's message", tt.wantFrom.ID)
			}
			tt.want.MessageID, tt.want.Subject = want.MessageID, want.Subject
			if sample != tt.want {
				t.Errorf("sample %+v, want %+v", sample, tt.want)
			}
			toCardholders, toPreview := s.Counts()
			if wantPreview := btoi(tt.want.Preview); toCardholders != 1-wantPreview || toPreview != wantPreview {
				t.Errorf("Counts() = %d, %d", toCardholders, toPreview)
			}
		})
	}
	t.Run("nil candidates", func(t *testing.T) {
		s := &send.Sampler{Composer: newComposer()}
		_, sample, err := s.Sample(compile(t, "v0003"))
		if err != nil || !sample.Preview || sample.Recipient != "SAMPLE" {
			t.Errorf("sample %+v, %v; want the preview recipient's", sample, err)
		}
	})
}

// TestSamplerStops checks that an error that is no refusal stops Sample,
// at the first candidate, uncounted.
func TestSamplerStops(t *testing.T) {
	c := newComposer()
	c.Envelope.Sender.From = "Meridian"
	asked := 0
	s := &send.Sampler{Composer: c, Candidates: func(string) iter.Seq[render.Recipient] {
		return func(yield func(render.Recipient) bool) {
			for _, id := range []string{"C1", "C2", "C3"} {
				asked++
				if !yield(cardholder(id)) {
					return
				}
			}
		}
	}}
	got, sample, err := s.Sample(compile(t, "v0001"))
	if !errors.Is(err, render.ErrHeader) || got != nil || sample != (send.Sample{}) {
		t.Fatalf("%v, %+v, %v; want an error wrapping render.ErrHeader alone", got, sample, err)
	}
	var re *send.RefusedError
	if errors.As(err, &re) {
		t.Errorf("error %v is a refusal", err)
	}
	if asked != 1 {
		t.Errorf("%d candidates tried, want 1", asked)
	}
	if a, b := s.Counts(); a != 0 || b != 0 {
		t.Errorf("Counts() = %d, %d after an error", a, b)
	}
	// No candidate: the preview recipient's message fails as well.
	s.Candidates = nil
	if _, _, err := s.Sample(compile(t, "v0001")); !errors.Is(err, render.ErrHeader) {
		t.Errorf("preview: error %v, want one wrapping render.ErrHeader", err)
	}
}

// TestSamplerConcurrent samples many variants at once, half of them
// without a candidate, and checks the counts.
func TestSamplerConcurrent(t *testing.T) {
	n := compile(t, "v0001")
	m := compile(t, "v0002")
	s := &send.Sampler{Composer: newComposer(), Candidates: func(v string) iter.Seq[render.Recipient] {
		if v == "v0001" {
			return slices.Values([]render.Recipient{cardholder("C1")})
		}
		return nil
	}}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			x := n
			if i%2 == 1 {
				x = m
			}
			if _, _, err := s.Sample(x); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if a, b := s.Counts(); a != 10 || b != 10 {
		t.Errorf("Counts() = %d, %d; want 10, 10", a, b)
	}
}

// TestSampleJSON checks the fields of meta.json's "sample", in order.
func TestSampleJSON(t *testing.T) {
	b, err := json.Marshal(send.Sample{File: send.SampleFile, Recipient: "C1", Preview: true, Skipped: 2, MessageID: "<x@y>", Subject: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"file":"sample.eml","recipient":"C1","preview":true,"skipped":2,"message_id":"\u003cx@y\u003e","subject":"Hi"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
