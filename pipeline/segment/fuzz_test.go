package segment

import (
	"strings"
	"testing"
)

func FuzzReadAssignments(f *testing.F) {
	for _, s := range []string{
		"",
		"cardholder_id,cluster,variant,mail_status\n",
		"cardholder_id,cluster,variant,mail_status\na,0,v0001,mail\nb,,,no consent\n",
		"cardholder_id,cluster,variant,mail_status\r\n\"a,\"\"b\",0,v0001,mail\r\n",
		"a,b,c\n1,2,3\n",
		"a,b,c,d\n1,2,3\n",
		"a\"b,c\n",
		"\"open\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ReadAssignments(strings.NewReader(in), "assignments.csv")
		if err != nil {
			if got != nil {
				t.Errorf("ReadAssignments returned %v with the error %v", got, err)
			}
			if !strings.HasPrefix(err.Error(), "assignments.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if got == nil {
			t.Error("ReadAssignments returned a nil map and no error")
		}
		for id, v := range got {
			if v == "" {
				t.Errorf("cardholder %q has an empty variant", id)
			}
		}
	})
}
