package synth

// localeSpec is a cardholder locale with its share of cardholders and the
// names its cardholders are drawn from.
type localeSpec struct {
	code   string
	weight float64
	home   string // country of the locale, favoured abroad; "" for the US
	first  []string
	last   []string
}

// locales are the cardholder locales.
var locales = [...]localeSpec{
	{code: "en-US", weight: 85, first: []string{
		"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
		"David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
		"Thomas", "Sarah", "Christopher", "Karen", "Daniel", "Lisa", "Matthew", "Nancy",
		"Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley", "Andrew", "Emily",
		"Joshua", "Kimberly", "Kevin", "Donna", "Brian", "Michelle", "Ethan", "Olivia",
		"Noah", "Emma", "Liam", "Ava", "Mason", "Sophia", "Lucas", "Isabella",
		"Aiden", "Mia", "Jamal", "Aaliyah", "Wei", "Priya", "Hiroshi", "Mei",
		"Ahmed", "Fatima", "Dmitri", "Zoë", "José", "Łukasz", "Chloé", "Siobhán",
		"Ngozi", "Tomás", "Anh", "Raj", "Keisha", "Darnell", "Grace", "Caleb",
	}, last: []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
		"Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
		"Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
		"Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
		"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
		"Carter", "Roberts", "O'Brien", "O'Connor", "Kowalski", "Nowak", "Müller", "Kim",
		"Patel", "Chen", "Wang", "Okafor", "Núñez", "Dubois", "Schröder", "Yamamoto",
		"Haddad", "Fitzgerald", "Washington", "Cohen",
	}},
	{code: "en-GB", weight: 6, home: "GB", first: []string{
		"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia",
		"Charlie", "Ivy", "Freddie", "Grace", "Alfie", "Poppy", "Arthur", "Rosie",
		"Siobhán", "Łukasz", "Niamh", "Rhys", "Eilidh", "Callum", "Imogen", "Hamish",
		"Zoë", "Aoife", "Ravi", "Bethan",
	}, last: []string{
		"Smith", "Jones", "Taylor", "Brown", "Evans", "Wilson", "Thomas", "Roberts",
		"Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson", "O'Brien", "McDonald",
		"Hughes", "Edwards", "Patel", "Khan", "Wiśniewski", "Davies", "Murphy", "Campbell",
		"O'Neill", "Ó Súilleabháin", "Llewellyn", "Shaw",
	}},
	{code: "fr-FR", weight: 5, home: "FR", first: []string{
		"Léa", "Chloé", "Zoë", "Manon", "Camille", "Inès", "Jade", "Louise",
		"Hugo", "Lucas", "Théo", "Nathan", "Mathis", "Raphaël", "Gabriel", "Louis",
		"Noël", "Maël", "Anaïs", "Élodie", "François", "Hélène", "Jérôme", "Céline",
	}, last: []string{
		"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
		"Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garnier", "Faure",
		"Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Mercier", "Boucher",
		"Gauthier", "Lemaître", "Chevalier", "D'Almeida",
	}},
	{code: "es-MX", weight: 4, home: "MX", first: []string{
		"José", "María", "Juan", "Guadalupe", "Luis", "Sofía", "Carlos", "Valentina",
		"Jorge", "Ximena", "Miguel", "Regina", "Alejandro", "Camila", "Diego", "Mariana",
		"Andrés", "Lucía", "Fernando", "Renata", "Santiago", "Ana", "Emiliano", "Itzel",
	}, last: []string{
		"Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
		"Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Jiménez", "Reyes",
		"Díaz", "Torres", "Gutiérrez", "Ruiz", "Núñez", "Castillo", "Ortiz", "Mendoza",
	}},
}

// emailDomains are the domains of cardholder email addresses, with weights.
var emailDomains = [...]struct {
	domain string
	weight float64
}{
	{"example.com", 60}, {"example.org", 25}, {"example.net", 15},
}

// appendASCIIFold appends s in lower case with accents folded to ASCII and
// everything but letters and digits dropped, for the local part of an email.
func appendASCIIFold(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		default:
			switch r {
			case 'à', 'á', 'â', 'ã', 'ä', 'å', 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å':
				b = append(b, 'a')
			case 'ç', 'Ç':
				b = append(b, 'c')
			case 'è', 'é', 'ê', 'ë', 'È', 'É', 'Ê', 'Ë':
				b = append(b, 'e')
			case 'ì', 'í', 'î', 'ï', 'Ì', 'Í', 'Î', 'Ï':
				b = append(b, 'i')
			case 'ł', 'Ł':
				b = append(b, 'l')
			case 'ñ', 'Ñ':
				b = append(b, 'n')
			case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ø':
				b = append(b, 'o')
			case 'ś', 'Ś':
				b = append(b, 's')
			case 'ß':
				b = append(b, 's', 's')
			case 'ù', 'ú', 'û', 'ü', 'Ù', 'Ú', 'Û', 'Ü':
				b = append(b, 'u')
			case 'ý', 'ÿ', 'Ý':
				b = append(b, 'y')
			}
		}
	}
	return b
}
