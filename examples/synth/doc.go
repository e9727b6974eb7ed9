// Package synth generates synthetic, deterministic example data for tailor:
// a cardholders.csv and a transactions.csv in the input schema, with
// cardholders whose spending follows recognisable personas.
//
// Generate streams the two files cardholder by cardholder through buffered
// writers, so memory does not grow with the number of cardholders; millions
// of cardholders and tens of millions of transactions take seconds. The same
// Config always produces byte-identical files: every cardholder draws from
// its own PCG stream (math/rand/v2) seeded from Config.Seed and its index.
//
// # Cardholders
//
// Ids run C0000001, C0000002, ... Names come from lists per locale (mostly
// en-US, some en-GB, fr-FR and es-MX) and include non-ASCII names such as
// Zoë, José or Łukasz and names with an apostrophe such as O'Brien. Emails
// are derived from the names and the id number at example.com, example.org
// or example.net. Members joined between 1995 and the end month, more of
// them recently; a new member's transactions start on member_since. About 2%
// have cancelled inside the window, with a reason, and have no transactions
// after cancelled_on; about 4% have marketing_consent no. About 6% lapse:
// their spending fades over the last two to four months. About 8% are
// sparse, with a fraction of the usual activity, and some of them have no
// transaction at all.
//
// # Personas
//
// Each cardholder has a main persona and two others. About three quarters
// of the expected spend (and 55% to 92% of the transactions) comes from the
// main persona; interest weights are jittered per cardholder, so clusters
// are recognisable but not trivial. The personas, with their leading
// interests:
//
//	foodie          dining, groceries, entertainment
//	family grocer   groceries, family & kids, fuel, department stores
//	road warrior    airlines, hotels, car rental, dining, taxis
//	commuter        transit, fuel, coffee and quick meals
//	digital native  digital & streaming, electronics, entertainment
//	fashionista     fashion, department stores, health & beauty
//	homebody        home & garden, groceries, bills & utilities
//	pet parent      pets, groceries
//	fitness fan     fitness & sports, health & beauty, groceries
//	luxury shopper  luxury, fashion, hotels, fine dining, flights
//	student         dining, digital, transit, education
//	generous giver  charity, groceries, family & kids
//
// Only the anchor MCCs of the interest taxonomy are used, each through
// invented merchants (a merchant trades under one MCC, and a cardholder has
// favourite merchants). Tickets are lognormal around a typical amount per
// interest, scaled by the persona and the cardholder's wallet; digital goods
// end in .99. The tier (green, gold, platinum) follows the persona's and the
// cardholder's spending level. About 1% of transactions are refunds
// (negative amounts), more of them for fashion, department stores,
// electronics and travel. Digital goods, flights and bills are mostly
// online. Transactions are in USD and mostly in the US; travel spends abroad
// (GB, FR, MX, JP) more often, and cardholders of a non-US locale favour
// their home country there. Within a cardholder, transactions are in date
// order.
//
// # Bad rows
//
// With Config.BadRows, four cardholder rows and eight transaction rows are
// faulty, each in a different way, at fixed positions spread evenly through
// the files (for fewer than four cardholders, some cardholder faults fall on
// the same row and only the first is applied). Stats counts them apart from
// the good rows. In cardholders.csv, three rows of real cardholders are
// corrupted (their transactions are kept) and one row is added:
//
//   - email "not-an-email";
//   - a duplicated cardholder_id: an extra row reusing an earlier id;
//   - status "paused", which is neither active nor cancelled;
//   - tier "diamond", which is not a tier.
//
// In transactions.csv, eight rows are added after the transactions of
// cardholders spread through the file:
//
//   - amount "12,3.4" (quoted, so the row still has eight fields);
//   - posted_on "2026-13-45", an impossible date;
//   - mcc "ABCD", not four digits;
//   - a row with only five fields;
//   - cardholder_id C0000000, which no cardholder has;
//   - an empty cardholder_id;
//   - currency "???";
//   - channel "mobile", neither online nor in_store.
//
// Without BadRows every row is well-formed and consistent with the
// cardholders.
package synth
