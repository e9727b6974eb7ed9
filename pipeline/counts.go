package pipeline

import (
	"fmt"
	"reflect"
	"strings"
)

// A stage's counts are the fields of its outcome tagged `count:"name"`:
// int fields, map[string]int fields whose tag holds a "*" where the map's
// key goes (`count:"relationship_*"`), and struct or pointer-to-struct
// fields whose own fields are tagged (a nil pointer: none of its counts).
// countsOf writes them as the manifest records them and readCounts reads
// them back, so that a name is written once and a missing count is an
// error, never a silent 0.

// countsOf returns the counts of outcome v, a struct or a pointer to one.
func countsOf(v any) map[string]int {
	out := map[string]int{}
	eachCount(reflect.Indirect(reflect.ValueOf(v)), func(tag string, f reflect.Value) {
		switch f.Kind() {
		case reflect.Int:
			out[tag] = int(f.Int())
		case reflect.Map:
			for it := f.MapRange(); it.Next(); {
				out[strings.Replace(tag, "*", it.Key().String(), 1)] = int(it.Value().Int())
			}
		}
	})
	return out
}

// readCounts sets the counts of outcome v, a pointer to a struct, from m.
func readCounts(m map[string]int, v any) error {
	var missing []string
	readInto(m, reflect.ValueOf(v).Elem(), &missing)
	if len(missing) > 0 {
		return fmt.Errorf("no count %s", strings.Join(missing, ", "))
	}
	return nil
}

func readInto(m map[string]int, s reflect.Value, missing *[]string) {
	for i := 0; i < s.NumField(); i++ {
		sf, f := s.Type().Field(i), s.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("count")
		switch {
		case tag != "" && f.Kind() == reflect.Int:
			n, ok := m[tag]
			if !ok {
				*missing = append(*missing, fmt.Sprintf("%q", tag))
			}
			f.SetInt(int64(n))
		case tag != "" && f.Kind() == reflect.Map:
			prefix, suffix, _ := strings.Cut(tag, "*")
			mv := reflect.MakeMap(f.Type())
			for k, n := range m {
				if len(k) > len(prefix)+len(suffix) && strings.HasPrefix(k, prefix) && strings.HasSuffix(k, suffix) {
					mv.SetMapIndex(reflect.ValueOf(k[len(prefix):len(k)-len(suffix)]), reflect.ValueOf(n))
				}
			}
			f.Set(mv)
		case f.Kind() == reflect.Struct:
			readInto(m, f, missing)
		case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct:
			// An optional group: present when any of its counts is.
			p := reflect.New(f.Type().Elem())
			var lack []string
			readInto(m, p.Elem(), &lack)
			if len(lack) < countFields(f.Type().Elem()) {
				*missing = append(*missing, lack...)
				f.Set(p)
			}
		}
	}
}

// countFields counts the int count fields of a struct type.
func countFields(t reflect.Type) int {
	n := 0
	for i := 0; i < t.NumField(); i++ {
		if sf := t.Field(i); sf.IsExported() && sf.Tag.Get("count") != "" && sf.Type.Kind() == reflect.Int {
			n++
		}
	}
	return n
}

// eachCount calls fn for every tagged field of struct s, descending into
// struct fields and non-nil pointers to structs.
func eachCount(s reflect.Value, fn func(tag string, f reflect.Value)) {
	for i := 0; i < s.NumField(); i++ {
		sf, f := s.Type().Field(i), s.Field(i)
		if !sf.IsExported() {
			continue
		}
		switch tag := sf.Tag.Get("count"); {
		case tag != "":
			fn(tag, f)
		case f.Kind() == reflect.Struct:
			eachCount(f, fn)
		case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.Struct:
			eachCount(f.Elem(), fn)
		}
	}
}
