package preview_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/tailor-mail/tailor/pipeline/preview"
)

// The preview of a run directory, served to this machine.
func ExampleNew() {
	h, err := preview.New("testdata/run", preview.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, path := range []string{"/", "/v/v0001", "/v/v0001/html", "/v/v0009"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(path, resp.Status)
	}
	// Output:
	// / 200 OK
	// /v/v0001 200 OK
	// /v/v0001/html 200 OK
	// /v/v0009 404 Not Found
}
