package banreport

import (
	"bufio"
	_ "embed"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var pageText string

// page is parsed once; html/template escapes every value from the input
// (jail names, hosts and user names are attacker-controlled) for the
// context it lands in, SVG text included.
var page = template.Must(template.New("page").Parse(pageText))

// render writes the page to w.
func (r *report) render(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if err := page.Execute(bw, r); err != nil {
		return err
	}
	return bw.Flush()
}
