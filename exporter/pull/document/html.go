package document

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	tableplugin "github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseHTML reads an HTML document or a Confluence page in storage
// format: the table of its Page Properties macro (ac:structured-macro
// ac:name="details"), else its first table when it has two columns, is
// the key/value table; a table whose header names the item, its owner
// and its due date is an action table; the rest becomes the Markdown
// narrative.
func parseHTML(data []byte) (*parsed, error) {
	root, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	p := &parsed{}
	var tables []*html.Node
	var details *html.Node
	walk(root, func(n *html.Node) bool {
		switch {
		case n.Type != html.ElementNode:
		case n.Data == "ac:structured-macro" && attr(n, "ac:name") == "details" && details == nil:
			details = n
		case n.DataAtom == atom.Table:
			tables = append(tables, n)
			return false
		case n.DataAtom == atom.H1 && p.heading == "":
			p.heading = cellText(n)
		case n.DataAtom == atom.Title && p.heading == "":
			p.heading = cellText(n)
		}
		return true
	})
	var remove []*html.Node
	for i, n := range tables {
		t := readTable(n)
		switch {
		case p.properties == nil && details != nil && within(n, details):
			p.properties = t
			remove = append(remove, details)
		case p.properties == nil && details == nil && i == 0 && twoColumns(t):
			p.properties = t
			remove = append(remove, n)
		case isActionTable(t):
			p.actions = append(p.actions, t)
			remove = append(remove, n)
		}
	}
	walk(root, func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.DataAtom == atom.Head {
			remove = append(remove, n)
		}
		return true
	})
	for _, n := range remove {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	conv := converter.NewConverter(converter.WithPlugins(base.NewBasePlugin(), commonmark.NewCommonmarkPlugin(), tableplugin.NewTablePlugin()))
	md, err := conv.ConvertNode(root)
	if err != nil {
		return nil, fmt.Errorf("convert HTML to Markdown: %w", err)
	}
	p.narrative = tidy(string(md))
	return p, nil
}

// walk visits n and its descendants in document order; visit returns
// false to skip a node's children.
func walk(n *html.Node, visit func(*html.Node) bool) {
	if !visit(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, visit)
	}
}

func within(n, ancestor *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p == ancestor {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// readTable reads a table's rows (not those of tables inside it).
func readTable(n *html.Node) *table {
	t := &table{}
	walk(n, func(c *html.Node) bool {
		if c != n && c.Type == html.ElementNode && c.DataAtom == atom.Table {
			return false
		}
		if c.Type == html.ElementNode && c.DataAtom == atom.Tr {
			var cells, links []string
			for cell := c.FirstChild; cell != nil; cell = cell.NextSibling {
				if cell.Type == html.ElementNode && (cell.DataAtom == atom.Td || cell.DataAtom == atom.Th) {
					cells = append(cells, cellText(cell))
					links = append(links, firstLink(cell))
				}
			}
			t.rows = append(t.rows, cells)
			t.links = append(t.links, links)
			return false
		}
		return true
	})
	return t
}

// blocks are the elements whose end starts a new line of a cell's text.
var blocks = map[atom.Atom]bool{atom.P: true, atom.Div: true, atom.Li: true, atom.Br: true, atom.H1: true, atom.H2: true, atom.H3: true}

// cellText is an element's text: lines for its blocks, runs of spaces as
// one; a Confluence date (<time datetime>) or user mention gives its
// attribute.
func cellText(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) bool {
		switch {
		case c.Type == html.TextNode:
			b.WriteString(c.Data)
		case c.Type == html.ElementNode && c.DataAtom == atom.Time && attr(c, "datetime") != "":
			b.WriteString(attr(c, "datetime"))
			return false
		case c.Type == html.ElementNode && c.Data == "ri:user":
			b.WriteString(firstNonEmpty(attr(c, "ri:username"), attr(c, "ri:userkey"), attr(c, "ri:account-id")))
		case c.Type == html.ElementNode && blocks[c.DataAtom] && c != n:
			b.WriteString("\n")
		}
		return true
	})
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func firstLink(n *html.Node) string {
	link := ""
	walk(n, func(c *html.Node) bool {
		if link == "" && c.Type == html.ElementNode && c.DataAtom == atom.A {
			if href := attr(c, "href"); strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://") {
				link = href
			}
		}
		return link == ""
	})
	return link
}
