// Command mccgen writes the table that maps every merchant category code
// (MCC, ISO 18245) to one interest of the tailor taxonomy. It is run by
// go generate in package profile:
//
//	go run ./internal/mccgen -shared ../../../shared/data/mcc -out data/mcc_interests.csv
//
// Sources (read from the -shared directory, never fetched):
//
//   - greggles/mcc_codes.csv from github.com/greggles/mcc-codes, commit
//     16e8ab17db2111272f959482d39c0bb8b48b4a19. Licence: The Unlicense
//     (public-domain dedication).
//   - iso18245/*_list.csv and iso18245/private_ranges.csv from
//     github.com/jleclanche/python-iso18245, commit
//     3b53842ff48318ec01d8d9834ad90ec625e327bc. Licence: MIT,
//     Copyright (c) 2020 Jerome Leclanche; the licence text ships in
//     data/NOTICE next to the generated file.
//
// The output has one row per code found in any source file (the union,
// sorted by code), with the best description available: greggles'
// edited_description, else the ISO official wording, else the Visa,
// Mastercard, Amex, USDA and Stripe lists in that order. Whitespace in
// descriptions is collapsed; nothing else is changed.
//
// The classification lives in the tables below. Every code in the sources
// must be claimed by exactly one code rule or fall in one private range;
// a code listed in a rule but absent from the sources is an error too, so a
// typo or a new upstream code stops the generator instead of slipping
// into "other" unnoticed.
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// codeRule assigns the listed codes (space separated) to one interest.
type codeRule struct {
	interest string
	codes    string
}

// codeRules is the explicit classification, grouped by interest; the
// comment above each rule says what the codes are and, where it is not
// obvious, why they land there. Codes with no consumer interest (wholesale,
// business services, finance, government, card-network internals) are
// listed under "other" on purpose, so every decision is visible.
var codeRules = []codeRule{
	// Restaurants, bars, fast food, caterers.
	{"dining", "5811 5812 5813 5814"},

	// Supermarkets, convenience and specialty food stores, bakeries,
	// confectioners, butchers, dairies.
	{"groceries", "5411 5422 5441 5451 5462 5499"},
	// Drink bought to take home: liquor stores and wine or champagne
	// producers selling direct.
	{"groceries", "0743 0744 5921"},

	// Service stations, fuel dispensers, truck stops, EV charging.
	{"fuel", "5541 5542 5552 7511"},

	// Airlines without a private code of their own (the private range
	// 3000-3350 is below).
	{"airlines", "4511"},

	// Hotels, timeshares, camp grounds and trailer parks (hotel chains
	// with private codes 3501-3999 are below).
	{"lodging", "7011 7012 7033"},

	// Car, van, truck, trailer and motor home rental (rental firms with
	// private codes 3351-3500 are below).
	{"car_rental", "7512 7513 7519"},

	// Travel agencies, tour operators, cruises, airports, ticketed scenic
	// spots, travel sold by direct marketing.
	{"travel_services", "4411 4582 4722 4723 4733 5962"},

	// Commuter rail and ferries, passenger rail, taxis, buses, tolls,
	// parking, other passenger transport.
	{"transit", "4111 4112 4121 4131 4784 4789 7523"},

	// Cinemas, theatre and tickets, live music and entertainers, attractions,
	// amusement parks, aquariums, bowling, billiards, arcades, dance halls,
	// video rental, music and record shops.
	{"entertainment", "5733 5735 7832 7841 7911 7922 7929 7932 7933 7991 7993 7994 7996 7998 7999"},

	// Pay TV, digital goods (media, games, apps), online services and
	// software subscriptions, subscription merchants. 4816, 7372 and 7375
	// are where consumers meet cloud storage, software and online
	// information services.
	{"digital", "4816 4899 5815 5816 5817 5818 5968 7372 7375"},

	// Clothing and shoe stores, leather goods, tailors, shoe repair,
	// clothing rental.
	{"fashion", "5611 5621 5651 5661 5691 5697 5699 5948 7251 7296"},

	// Department, discount and variety stores, wholesale clubs, duty free,
	// online marketplaces, catalogue merchants, secondhand, gift shops:
	// general merchandise.
	{"department_stores", "5262 5300 5309 5310 5311 5331 5399 5931 5947 5961 5964 5965"},

	// Electronics, computers and software, phone shops, cameras and photo
	// developing, typewriters, electric razors, electronics and computer
	// repair.
	{"electronics", "4812 5045 5732 5734 5946 5978 5997 7379 7395 7622"},

	// Home improvement and garden: DIY and building stores, hardware, paint,
	// nurseries, florists, furniture and furnishings, appliances, pools,
	// awnings, fabric and craft supplies.
	{"home_garden", "5193 5200 5211 5231 5251 5261 5712 5713 5714 5718 5719 5722 5949 5950 5970 5992 5996 5998 8912"},
	// Home services: residential contractors, landscaping, cleaning, pest
	// control, household repairs, tool and furniture rental, mobile homes.
	{"home_garden", "0780 1520 1711 1731 1740 1750 1761 1771 1799 5271 7217 7295 7342 7349 7394 7623 7629 7641"},

	// Pharmacies, drugs and sundries, cosmetics, hair and beauty salons,
	// spas and massage, wigs, hearing aids and orthopaedic goods.
	{"health_beauty", "5122 5698 5912 5975 5976 5977 7230 7297 7298"},
	// Medical and dental practitioners and opticians that consumers choose
	// and visit (hospitals, nursing homes and laboratories are under other).
	{"health_beauty", "8011 8021 8031 8041 8042 8043 8044 8049 8099"},

	// Gyms and sports clubs, sporting goods, sports apparel, bicycles, golf,
	// spectator sports, recreational boating (boat rental, marinas).
	{"fitness_sports", "4457 4468 5655 5940 5941 7941 7992 7997"},

	// Schools, universities, vocational and correspondence schools,
	// bookshops, stationery, newspapers and magazines.
	{"education", "5192 5942 5943 5994 8211 8220 8241 8244 8249 8299"},

	// Children's clothing, toys and hobbies, child care, summer and sports
	// camps, portrait studios.
	{"family_kids", "5641 5945 7032 7221 8351"},

	// Veterinarians, pet shops and pet food.
	{"pets", "0742 5995"},

	// Jewellery and watches, furs, women's accessory boutiques, art dealers,
	// antiques, stamps and coins, watch and jewellery repair.
	{"luxury", "5094 5631 5681 5832 5932 5937 5944 5971 5972 7631"},

	// Vehicle dealers (cars, motorcycles, boats, motor homes, snowmobiles),
	// parts, tyres, salvage yards, body and paint shops, servicing, car
	// washes, towing, automobile associations.
	{"auto", "5511 5521 5531 5532 5533 5551 5561 5571 5592 5598 5599 5935 7531 7534 7535 7538 7542 7549 8675"},

	// Charities, religious organisations, civic and fraternal associations.
	{"charity", "8398 8641 8661"},

	// Utilities, home heating fuel, telephone and fax services, insurance
	// (including insurance sold by direct marketing), rent paid to
	// letting agents.
	{"utilities", "4813 4814 4815 4821 4900 5960 5983 6300 6381 6399 6513"},

	// Other: agriculture, publishing and printing trades, cleaning
	// chemicals.
	{"other", "0763 2741 2791 2842"},
	// Other: freight, couriers, storage, ambulance, wire transfers.
	{"other", "4011 4119 4214 4215 4225 4829"},
	// Other: wholesale and business-to-business supply (5000-5199) not
	// claimed above.
	{"other", "5013 5021 5039 5044 5046 5047 5051 5065 5072 5074 5085 5099 5111 5131 5137 5139 5169 5172 5198 5199 5715"},
	// Other: retail too broad or not a marketing interest: miscellaneous
	// specialty retail, pawn shops, religious goods, tobacco, door-to-door,
	// telemarketing and unclassified direct marketing.
	{"other", "5933 5963 5966 5967 5969 5973 5993 5999"},
	// Other: banks, cash, money transfer, stored value, brokers.
	{"other", "6010 6011 6012 6050 6051 6211 6532 6533 6536 6537 6538 6540"},
	// Other: personal services that are not interests (laundry and dry
	// cleaning, funerals, dating, tax preparation, counselling, buying
	// clubs, unclassified), and real estate brokers.
	{"other", "7013 7210 7211 7216 7261 7273 7276 7277 7278 7299"},
	// Other: business services (advertising, credit reporting, debt
	// collection, copying, staffing, consulting, security, film production,
	// welding, unclassified repairs).
	{"other", "7311 7321 7322 7332 7333 7338 7339 7361 7392 7393 7399 7692 7699 7829"},
	// Other: gambling and lotteries, deliberately not an interest that
	// newsletters should cultivate.
	{"other", "7800 7801 7802 7995 9406"},
	// Other: hospitals, nursing homes, laboratories: care that is not chosen
	// as a pastime or a shopping interest.
	{"other", "7280 8050 8062 8071"},
	// Other: professional services, legal, accounting, political
	// organisations, membership organisations.
	{"other", "8111 8651 8699 8734 8911 8931 8999"},
	// Other: government (courts, fines, bail, taxes, embassies, post) and
	// card-network internal codes.
	{"other", "9211 9222 9223 9311 9399 9400 9402 9405 9700 9701 9702 9950"},
}

// rangeRule assigns every code in [lo, hi] to one interest.
type rangeRule struct {
	lo, hi   int
	interest string
}

// rangeRules fold the private ranges, where each code names one company,
// into the interest of the generic code (4511, 7512, 7011). They must agree
// with iso18245/private_ranges.csv, which the generator checks.
var rangeRules = []rangeRule{
	// Airlines, one code per carrier (3000 United, 3001 American ...).
	{3000, 3350, "airlines"},
	// Car rental firms (3351 Affiliated Auto Rental, 3357 Hertz ...).
	{3351, 3500, "car_rental"},
	// Hotel chains (3501 Holiday Inns, 3502 Best Western ...).
	{3501, 3999, "lodging"},
}

// descSource names a source file (relative to -shared) and its description
// column.
type descSource struct{ file, column string }

// descriptionSources lists, best first, the files and columns that give a
// code's description. Any further iso18245/*_list.csv file is consulted
// after these, in name order.
var descriptionSources = []descSource{
	{"greggles/mcc_codes.csv", "edited_description"},
	{"iso18245/iso18245_official_list.csv", "DESCRIPTION"},
	{"iso18245/visa_list.csv", "DESCRIPTION"},
	{"iso18245/mastercard_list.csv", "DESCRIPTION"},
	{"iso18245/amex_list.csv", "DESCRIPTION"},
	{"iso18245/usda_list.csv", "DESCRIPTION"},
	{"iso18245/stripe_list.csv", "DESCRIPTION"},
}

func main() {
	shared := flag.String("shared", "../../../shared/data/mcc", "directory holding greggles/ and iso18245/")
	out := flag.String("out", "data/mcc_interests.csv", "file to write")
	flag.Parse()
	if err := run(*shared, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mccgen:", err)
		os.Exit(1)
	}
}

func run(shared, out string) error {
	descs, err := readDescriptions(shared)
	if err != nil {
		return err
	}
	if err := checkPrivateRanges(filepath.Join(shared, "iso18245", "private_ranges.csv")); err != nil {
		return err
	}
	interests, err := classify(descs)
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(descs))
	for code := range descs {
		codes = append(codes, code)
	}
	slices.Sort(codes)

	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"mcc", "interest", "description"})
	for _, code := range codes {
		w.Write([]string{code, interests[code], descs[code]})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// readDescriptions returns every code of the sources with its best
// description.
func readDescriptions(shared string) (map[string]string, error) {
	sources := slices.Clone(descriptionSources)
	lists, err := filepath.Glob(filepath.Join(shared, "iso18245", "*_list.csv"))
	if err != nil {
		return nil, err
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("%s: no iso18245/*_list.csv files", shared)
	}
	slices.Sort(lists)
	for _, path := range lists {
		name := "iso18245/" + filepath.Base(path)
		if !slices.ContainsFunc(sources, func(s descSource) bool { return s.file == name }) {
			sources = append(sources, descSource{name, "DESCRIPTION"})
		}
	}

	descs := make(map[string]string)
	for _, src := range sources {
		path := filepath.Join(shared, filepath.FromSlash(src.file))
		codeCol := "MCC"
		if strings.HasPrefix(src.file, "greggles/") {
			codeCol = "mcc"
		}
		err := readCSV(path, []string{codeCol, src.column}, func(line int, row []string) error {
			code, desc := row[0], strings.Join(strings.Fields(row[1]), " ")
			if len(code) != 4 || strings.Trim(code, "0123456789") != "" {
				return fmt.Errorf("%s:%d: malformed code %q", src.file, line, code)
			}
			if d, ok := descs[code]; !ok || d == "" {
				descs[code] = desc
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for code, desc := range descs {
		if desc == "" {
			return nil, fmt.Errorf("code %s: no description in any source", code)
		}
	}
	return descs, nil
}

// checkPrivateRanges fails unless rangeRules has the same bounds as the
// published private ranges.
func checkPrivateRanges(path string) error {
	var got [][2]int
	err := readCSV(path, []string{"MCC START", "MCC END"}, func(line int, row []string) error {
		lo, err1 := strconv.Atoi(row[0])
		hi, err2 := strconv.Atoi(row[1])
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("%s:%d: %w", filepath.Base(path), line, err)
		}
		got = append(got, [2]int{lo, hi})
		return nil
	})
	if err != nil {
		return err
	}
	var want [][2]int
	for _, r := range rangeRules {
		want = append(want, [2]int{r.lo, r.hi})
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s lists ranges %v, rangeRules has %v", filepath.Base(path), got, want)
	}
	return nil
}

// classify returns the interest of every code in descs, and fails if a code
// is claimed twice, by no rule, or a rule names a code that no source has.
func classify(descs map[string]string) (map[string]string, error) {
	var errs []error
	interests := make(map[string]string, len(descs))
	for _, r := range codeRules {
		for _, code := range strings.Fields(r.codes) {
			if _, ok := descs[code]; !ok {
				errs = append(errs, fmt.Errorf("rule %s: code %s is in no source file", r.interest, code))
			}
			if prev, ok := interests[code]; ok {
				errs = append(errs, fmt.Errorf("code %s: claimed by %s and %s", code, prev, r.interest))
			}
			interests[code] = r.interest
		}
	}
	for code := range descs {
		n, _ := strconv.Atoi(code)
		for _, r := range rangeRules {
			if n < r.lo || n > r.hi {
				continue
			}
			if prev, ok := interests[code]; ok && prev != r.interest {
				errs = append(errs, fmt.Errorf("code %s: rule says %s, private range says %s", code, prev, r.interest))
			}
			interests[code] = r.interest
		}
		if _, ok := interests[code]; !ok {
			errs = append(errs, fmt.Errorf("code %s (%s): no rule; add it to codeRules", code, descs[code]))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return interests, errors.Join(errs...)
}

// readCSV calls fn with the named columns of every data row of path; line
// is the row's line number in the file.
func readCSV(path string, columns []string, fn func(line int, row []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	idx := make([]int, len(columns))
	for i, name := range columns {
		idx[i] = slices.Index(header, name)
		if idx[i] < 0 {
			return fmt.Errorf("%s: no column %q", path, name)
		}
	}
	row := make([]string, len(columns))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		for i, j := range idx {
			if j >= len(rec) {
				return fmt.Errorf("%s:%d: no column %q", path, line, columns[i])
			}
			row[i] = rec[j]
		}
		if err := fn(line, row); err != nil {
			return err
		}
	}
}
