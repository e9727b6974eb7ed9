package inline_test

import (
	"fmt"
	"strings"

	"github.com/tailor-mail/tailor/pipeline/render/inline"
)

func ExampleInline() {
	src := `<html><head><style>
  .block p { margin: 0 0 14px; color: #33394a }
  @media (prefers-color-scheme: dark) { .block p { color: #d6dbe6 !important } }
</style></head>
<body><table><tr><td class="block"><p>Hello {{ .Recipient.FirstName }},</p><p style="color: #14213d">your picks at {{ index .Recipient.TopMerchants "dining" }}.</p></td></tr></table></body></html>`
	out, err := inline.Inline(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out)
	// Output:
	// <html><head><style>{{/*
	// */}}
	//   @media (prefers-color-scheme: dark) { .block p { color: #d6dbe6 !important } }
	// </style></head>
	// <body><table><tr><td class="block"><p style="margin:0 0 14px;color:#33394a;">Hello {{ .Recipient.FirstName }},</p><p style="margin:0 0 14px;color: #14213d">your picks at {{ index .Recipient.TopMerchants "dining" }}.</p></td></tr></table></body></html>
}

// A layout's stylesheet is compiled once and applied to each fragment in
// the place where the layout includes it.
func ExampleSheet_Apply() {
	layout := `<html><head><style>.block p { margin: 0 } .card td { color: #33394a }</style></head>` +
		`<body><table class="card"><tr><td>{{ template "content" . }}</td></tr></table></body></html>`
	sheet, err := inline.FromHTML(layout)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sheet.Apply(layout))
	content := inline.Ancestors(layout, strings.Index(layout, `{{ template "content"`))
	fmt.Println(content)
	block := `<table><tr><td class="block"><p>Earn 4x points.</p></td></tr></table>`
	fmt.Println(sheet.Apply(block, content...))
	// Output:
	// <html><head></head><body><table class="card"><tr><td style="color:#33394a;">{{ template "content" . }}</td></tr></table></body></html>
	// [<html> <body> <table class="card"> <tr> <td>]
	// <table><tr><td class="block" style="color:#33394a;"><p style="margin:0;">Earn 4x points.</p></td></tr></table>
}

func ExampleCompile() {
	_, err := inline.Compile("p { color: #33394a }\n.block p { margin 0 }")
	fmt.Println(err)
	// Output:
	// 2:19: css: property "margin": want ":" and a value
}
