package synth

// This file holds the immutable tables the generator draws from: the
// interests with their anchor MCCs and invented merchants, and the personas.

// interest indexes the interests table. The order follows the interest
// taxonomy; "other" has no anchor MCC and is never generated.
type interest uint8

const (
	dining interest = iota
	groceries
	fuel
	airlines
	lodging
	carRental
	travelServices
	transit
	entertainment
	digital
	fashion
	departmentStores
	electronics
	homeGarden
	healthBeauty
	fitnessSports
	education
	familyKids
	pets
	luxury
	auto
	charity
	utilities
	numInterests
)

// merchant is an invented merchant and the one MCC it trades under.
type merchant struct {
	name string
	mcc  string
}

// interestSpec describes how one interest's transactions look.
type interestSpec struct {
	id     string  // taxonomy id
	median float64 // typical ticket in cents
	sigma  float64 // spread of the log of the ticket
	online float64 // probability that a transaction is online
	abroad float64 // probability that a transaction is outside the US
	refund float64 // probability that a transaction is a refund
	cents  int64   // when not zero, tickets end in this many cents (x.99 pricing)
	// merchants only use the interest's anchor MCCs.
	merchants []merchant
}

// interests is indexed by interest.
var interests = [numInterests]interestSpec{
	dining: {id: "dining", median: 3200, sigma: 0.6, online: 0.10, abroad: 0.02, refund: 0.004, merchants: []merchant{
		{"Olive & Thyme Bistro", "5812"},
		{"The Saffron Table", "5812"},
		{"Harbor Lantern Grill", "5812"},
		{"Little Fig Trattoria", "5812"},
		{"Juniper & Ash Kitchen", "5812"},
		{"Golden Wok Garden", "5812"},
		{"Casa Marigold Cantina", "5812"},
		{"Blue Heron Oyster House", "5812"},
		{"The Copper Kettle Tap", "5813"},
		{"Foxglove Wine Bar", "5813"},
		{"Night Owl Taproom", "5813"},
		{"Bun & Done Burgers", "5814"},
		{"Morning Ritual Coffee", "5814"},
		{"Taco Rocket", "5814"},
		{"Slice Avenue Pizza", "5814"},
	}},
	groceries: {id: "groceries", median: 6500, sigma: 0.6, online: 0.08, abroad: 0.01, refund: 0.004, merchants: []merchant{
		{"FreshCart Market", "5411"},
		{"Greenway Grocers", "5411"},
		{"Maple Street Market", "5411"},
		{"Harvest Basket Foods", "5411"},
		{"Sunny Acres Supermarket", "5411"},
		{"Prime Cut Butchery", "5422"},
		{"Riverside Meat & Fish", "5422"},
		{"Meadow Churn Dairy", "5451"},
		{"Corner Pantry Deli", "5499"},
		{"Kernel & Crumb Bakehouse", "5499"},
		{"Quickstop Provisions", "5499"},
	}},
	fuel: {id: "fuel", median: 4500, sigma: 0.35, online: 0, abroad: 0.01, merchants: []merchant{
		{"Roadrunner Fuel", "5541"},
		{"Beacon Gas & Go", "5541"},
		{"Prairie Petrol", "5541"},
		{"Summit Fuel Stop", "5541"},
		{"Velo Gas Express", "5542"},
		{"QuickPump 24", "5542"},
	}},
	airlines: {id: "airlines", median: 38000, sigma: 0.6, online: 0.85, abroad: 0.20, refund: 0.02, merchants: []merchant{
		{"Cirrus Lane Airways", "4511"},
		{"Pelican Coast Air", "4511"},
		{"Tern Regional Airlines", "4511"},
		{"Northstar Pacific Air", "3000"},
		{"Meridian Skyways", "3001"},
		{"Albion Crown Airways", "3005"},
		{"Rheinfalke Airlines", "3008"},
	}},
	lodging: {id: "lodging", median: 21000, sigma: 0.6, online: 0.40, abroad: 0.25, refund: 0.015, merchants: []merchant{
		{"The Wandering Key Hotel", "7011"},
		{"Lakeshore Lodge & Suites", "7011"},
		{"Pinecrest Cabins", "7011"},
		{"Nightjar Boutique Hotel", "7011"},
		{"Copperline Inn", "3501"},
		{"Sterling Harbor Hotels", "3502"},
		{"Grand Aster Hotel", "3504"},
	}},
	carRental: {id: "car_rental", median: 18000, sigma: 0.5, online: 0.40, abroad: 0.20, refund: 0.01, merchants: []merchant{
		{"Open Road Rentals", "7512"},
		{"Milepost Car Rental", "7512"},
		{"Keystone Car Hire", "3351"},
		{"Zephyr Auto Rental", "3357"},
	}},
	travelServices: {id: "travel_services", median: 25000, sigma: 0.8, online: 0.70, abroad: 0.10, refund: 0.015, merchants: []merchant{
		{"Compass Rose Travel", "4722"},
		{"Faraway Tours & Journeys", "4722"},
		{"TripWeaver Online", "4722"},
		{"Bluewater Cruise Line", "4411"},
		{"Aurora Seas Cruises", "4411"},
	}},
	transit: {id: "transit", median: 450, sigma: 0.8, online: 0.30, abroad: 0.03, refund: 0.002, merchants: []merchant{
		{"Metro Transit Authority", "4111"},
		{"CityLink Transit Pass", "4111"},
		{"Coastline Rail", "4112"},
		{"Liberty Rail Express", "4112"},
		{"HopRide Taxi", "4121"},
		{"Yellowbird Cabs", "4121"},
		{"Silver Arrow Coaches", "4131"},
		{"E-Toll Express", "4784"},
		{"ParkSmart Garages", "7523"},
	}},
	entertainment: {id: "entertainment", median: 4500, sigma: 0.7, online: 0.40, abroad: 0.03, refund: 0.01, merchants: []merchant{
		{"Starlight Cinemas", "7832"},
		{"Marquee Picture House", "7832"},
		{"Grand Vista Theater Tickets", "7922"},
		{"Encore Live Music", "7929"},
		{"Riverside Aquarium", "7991"},
		{"Thunder Falls Adventure Park", "7996"},
		{"Strike Zone Lanes", "7999"},
		{"Escape Hatch Puzzle Rooms", "7999"},
	}},
	digital: {id: "digital", median: 1299, sigma: 0.5, online: 0.98, abroad: 0.01, refund: 0.01, cents: 99, merchants: []merchant{
		{"StreamNest TV", "4899"},
		{"Cloudwave Cable", "4899"},
		{"PageTurn eBooks", "5815"},
		{"Tunefield Music", "5815"},
		{"PixelForge Games", "5816"},
		{"Questline Arcade", "5816"},
		{"AppHarbor", "5817"},
		{"Brightbyte Software", "5817"},
		{"Marketcloud Digital", "5818"},
	}},
	fashion: {id: "fashion", median: 7500, sigma: 0.7, online: 0.35, abroad: 0.03, refund: 0.03, merchants: []merchant{
		{"Velvet Row Boutique", "5621"},
		{"Linen & Lark", "5621"},
		{"Threadline Outfitters", "5651"},
		{"Stride Shoe Co.", "5661"},
		{"Cobbler's Corner Shoes", "5661"},
		{"Buttonhook & Tweed", "5691"},
		{"Urban Hem Apparel", "5699"},
		{"Modo Street Wear", "5699"},
	}},
	departmentStores: {id: "department_stores", median: 8500, sigma: 0.7, online: 0.20, abroad: 0.02, refund: 0.025, merchants: []merchant{
		{"Whitmore & Hale", "5311"},
		{"Brightwell's Department Store", "5311"},
		{"Halden Square", "5311"},
		{"ValuMart Discount", "5310"},
		{"Everyday Savings Depot", "5310"},
	}},
	electronics: {id: "electronics", median: 18000, sigma: 0.9, online: 0.45, abroad: 0.01, refund: 0.025, merchants: []merchant{
		{"Circuit Grove Electronics", "5732"},
		{"VoltBox", "5732"},
		{"Signal & Sound", "5732"},
		{"Codeleaf Software", "5734"},
		{"Keystroke Computers", "5045"},
		{"Bytewise PC Supply", "5045"},
	}},
	homeGarden: {id: "home_garden", median: 9000, sigma: 0.9, online: 0.20, abroad: 0.005, refund: 0.015, merchants: []merchant{
		{"Hammer & Hearth Home Center", "5200"},
		{"Timberline Lumber Yard", "5211"},
		{"Fern & Trowel Garden Center", "5261"},
		{"Sprout Nursery", "5261"},
		{"Oak & Linen Furniture", "5712"},
		{"Nestwell Home Goods", "5719"},
		{"Candle & Cove Home", "5719"},
	}},
	healthBeauty: {id: "health_beauty", median: 3500, sigma: 0.7, online: 0.15, abroad: 0.01, refund: 0.008, merchants: []merchant{
		{"WellPoint Pharmacy", "5912"},
		{"CareCorner Drugs", "5912"},
		{"Blush & Bloom Cosmetics", "5977"},
		{"Sharp Edge Barbers", "7230"},
		{"Lumière Hair Studio", "7230"},
		{"Still Waters Day Spa", "7298"},
	}},
	fitnessSports: {id: "fitness_sports", median: 6000, sigma: 0.7, online: 0.20, abroad: 0.01, refund: 0.01, merchants: []merchant{
		{"IronPeak Fitness Club", "7997"},
		{"PulseFit Studios", "7997"},
		{"Summit Trail Outfitters", "5941"},
		{"Fieldhouse Sporting Goods", "5941"},
		{"Kinetic Athletic Wear", "5655"},
		{"Harbor City Hawks Tickets", "7941"},
	}},
	education: {id: "education", median: 25000, sigma: 1.0, online: 0.50, abroad: 0.01, refund: 0.01, merchants: []merchant{
		{"Maplewood Academy", "8211"},
		{"Lakeside State University", "8220"},
		{"Northgate Community College", "8220"},
		{"SkillBridge Online Courses", "8299"},
		{"Polyglot Language School", "8299"},
		{"Dog-Eared Books", "5942"},
		{"Chapter & Verse Booksellers", "5942"},
	}},
	familyKids: {id: "family_kids", median: 4500, sigma: 0.7, online: 0.25, abroad: 0.01, refund: 0.015, merchants: []merchant{
		{"Little Sprouts Kidswear", "5641"},
		{"Tiny Threads", "5641"},
		{"Toybox Junction", "5945"},
		{"Kite & Marble Toys", "5945"},
		{"Sunbeam Daycare", "8351"},
		{"Happy Acorn Child Care", "8351"},
	}},
	pets: {id: "pets", median: 5000, sigma: 0.7, online: 0.30, abroad: 0.005, refund: 0.01, merchants: []merchant{
		{"Paws & Claws Veterinary", "0742"},
		{"Gentle Hands Animal Clinic", "0742"},
		{"Wag & Whisker Pet Supply", "5995"},
		{"The Kibble Shop", "5995"},
		{"Fetch Pet Emporium", "5995"},
	}},
	luxury: {id: "luxury", median: 120000, sigma: 0.8, online: 0.15, abroad: 0.08, refund: 0.02, merchants: []merchant{
		{"Aurelia Fine Jewelry", "5944"},
		{"Maison Verlaine Watches", "5944"},
		{"Gilded Facet Gems", "5094"},
		{"Ermine & Sable Furs", "5681"},
		{"Celestine Leather Accessories", "5631"},
		{"Orchid Lane Handbags", "5631"},
	}},
	auto: {id: "auto", median: 12000, sigma: 0.9, online: 0.05, abroad: 0.005, refund: 0.01, merchants: []merchant{
		{"Gearhead Auto Parts", "5533"},
		{"Piston & Plug Supply", "5533"},
		{"Precision Auto Service", "7538"},
		{"Sudsy Car Wash", "7542"},
		{"Crystal Shine Car Wash", "7542"},
		{"Riverbend Motors", "5511"},
	}},
	charity: {id: "charity", median: 5000, sigma: 0.8, online: 0.60, merchants: []merchant{
		{"Helping Hands Food Bank", "8398"},
		{"Clear Water Relief Fund", "8398"},
		{"Riverside Animal Rescue", "8398"},
		{"Open Books Literacy Trust", "8398"},
		{"St. Brigid's Parish", "8661"},
		{"Grace Fellowship Church", "8661"},
	}},
	utilities: {id: "utilities", median: 11000, sigma: 0.5, online: 0.80, merchants: []merchant{
		{"Bright Valley Power & Light", "4900"},
		{"Clearstream Water Utility", "4900"},
		{"Metro Gas Co.", "4900"},
		{"Skyline Wireless", "4814"},
		{"Fiberlink Internet & Phone", "4814"},
		{"Evergreen Mutual Insurance", "6300"},
		{"Keystone Shield Insurance", "6300"},
	}},
}

// share is one interest of a persona: its weight among the persona's
// transactions and a multiplier on the interest's typical ticket.
type share struct {
	interest interest
	weight   float64
	ticket   float64
}

// persona is a recognisable spending pattern.
type persona struct {
	name   string
	weight float64 // prevalence among cardholders
	freq   float64 // relative number of transactions per month
	wallet float64 // overall ticket multiplier, also drives the tier
	online float64 // added to each interest's online probability
	shares []share
}

// personas are the spending patterns cardholders are built from.
var personas = [...]persona{
	{name: "foodie", weight: 10, freq: 1.25, wallet: 1.1, shares: []share{
		{dining, 0.55, 1.3}, {groceries, 0.18, 1.1}, {entertainment, 0.10, 1}, {digital, 0.05, 1},
		{lodging, 0.04, 1}, {fuel, 0.08, 1},
	}},
	{name: "family grocer", weight: 14, freq: 1.1, wallet: 1.0, shares: []share{
		{groceries, 0.42, 1.5}, {familyKids, 0.15, 1}, {fuel, 0.12, 1.1}, {departmentStores, 0.08, 1},
		{healthBeauty, 0.07, 1}, {utilities, 0.06, 1.2}, {dining, 0.07, 0.7}, {auto, 0.03, 1},
	}},
	{name: "road warrior", weight: 7, freq: 1.3, wallet: 1.4, online: 0.05, shares: []share{
		{airlines, 0.17, 1.2}, {lodging, 0.18, 1.2}, {carRental, 0.10, 1}, {dining, 0.25, 1.2},
		{travelServices, 0.06, 1}, {transit, 0.14, 6}, {fuel, 0.05, 1}, {digital, 0.05, 1},
	}},
	{name: "commuter", weight: 11, freq: 1.2, wallet: 0.8, shares: []share{
		{transit, 0.45, 1}, {fuel, 0.14, 1}, {dining, 0.16, 0.4}, {groceries, 0.10, 0.8},
		{auto, 0.08, 0.6}, {digital, 0.07, 1},
	}},
	{name: "digital native", weight: 10, freq: 1.1, wallet: 0.8, online: 0.25, shares: []share{
		{digital, 0.45, 1}, {electronics, 0.20, 1}, {entertainment, 0.10, 1}, {dining, 0.10, 0.7},
		{transit, 0.08, 3}, {education, 0.07, 0.2},
	}},
	{name: "fashionista", weight: 8, freq: 1.0, wallet: 1.1, online: 0.10, shares: []share{
		{fashion, 0.45, 1.2}, {departmentStores, 0.20, 1.2}, {healthBeauty, 0.15, 1.2},
		{luxury, 0.03, 0.3}, {dining, 0.12, 1}, {digital, 0.05, 1},
	}},
	{name: "homebody", weight: 9, freq: 0.9, wallet: 1.0, shares: []share{
		{homeGarden, 0.40, 1}, {groceries, 0.20, 1}, {utilities, 0.12, 1}, {electronics, 0.08, 0.7},
		{digital, 0.10, 1}, {pets, 0.05, 1}, {auto, 0.05, 1},
	}},
	{name: "pet parent", weight: 8, freq: 1.0, wallet: 1.0, shares: []share{
		{pets, 0.40, 1}, {groceries, 0.20, 1}, {homeGarden, 0.08, 0.7}, {healthBeauty, 0.07, 1},
		{dining, 0.10, 1}, {fuel, 0.08, 1}, {digital, 0.07, 1},
	}},
	{name: "fitness fan", weight: 7, freq: 1.1, wallet: 1.0, shares: []share{
		{fitnessSports, 0.40, 1}, {healthBeauty, 0.12, 1}, {groceries, 0.18, 0.9}, {dining, 0.10, 0.8},
		{digital, 0.08, 1}, {fashion, 0.07, 1}, {transit, 0.05, 1},
	}},
	{name: "luxury shopper", weight: 4, freq: 0.9, wallet: 2.2, shares: []share{
		{luxury, 0.22, 1}, {fashion, 0.15, 2}, {lodging, 0.12, 2}, {airlines, 0.08, 2},
		{dining, 0.26, 2.5}, {departmentStores, 0.10, 1.5}, {travelServices, 0.07, 2},
	}},
	{name: "student", weight: 7, freq: 1.0, wallet: 0.55, online: 0.10, shares: []share{
		{education, 0.15, 1}, {dining, 0.30, 0.5}, {digital, 0.20, 0.8}, {transit, 0.15, 1},
		{groceries, 0.10, 0.5}, {entertainment, 0.10, 0.6},
	}},
	{name: "generous giver", weight: 5, freq: 0.9, wallet: 1.1, shares: []share{
		{charity, 0.40, 1}, {groceries, 0.20, 1}, {dining, 0.10, 1}, {utilities, 0.10, 1},
		{healthBeauty, 0.05, 1}, {homeGarden, 0.05, 1}, {familyKids, 0.10, 1},
	}},
}

// foreignCountries are the countries of transactions abroad, with weights.
var foreignCountries = [...]struct {
	code   string
	weight float64
}{
	{"GB", 3}, {"FR", 3}, {"MX", 3}, {"JP", 2},
}

// cancelReasons are the reasons given by cardholders who cancelled.
var cancelReasons = [...]string{
	"annual fee",
	"moved to another card",
	"moving abroad",
	"rarely used the card",
	"rewards no longer competitive",
	"consolidating accounts",
	"unhappy with customer service",
}
