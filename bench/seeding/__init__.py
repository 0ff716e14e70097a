"""A Peru-sized dataset for benchmarks, written in bulk: `seed_scale(members=N)` (bench.seeding.run, command
`seed_scale`).

On top of the reference data the migrations seed (regions, standards, checklists) it writes staff users
(usernames starting with ``scale-``), partners with their alliance programs, the input catalogue and credit
products (shared with the demo: found by name), then N members with everything they own: about 1.4 farms
each (sizes as in DOMAIN.md), five technician visits per farm over the last three years with some pest
observations, EUDR land-use declarations, certifications with their event logs (and the sanctions behind
a sanctioned or suspended status), program enrolments, about 0.5 loans per member with their lines,
schedule and ledger, and this season's deliveries of a quarter of the farms, most of them settled.

How it is written, and why:
- Members are numbered S-00000001, S-00000002, ... and every member's records are drawn from the member's
  own generator, random.Random(seed * 2**40 + number), so the data depends neither on the chunk size nor
  on how the members were split between runs. A run continues after the highest S- code: it only adds.
- Records are generated and written per chunk of CHUNK_MEMBERS members, each chunk in one transaction,
  so memory stays bounded and a failure leaves no half chunk. PostgreSQL gets COPY from an in-memory CSV
  buffer per table; other databases (SQLite in the tests) get bulk_create.
- Primary keys of rows that others point to are reserved in blocks from the table's sequence (nextval
  over generate_series), so children are generated with their parents' ids without a round trip.
- Columns come from the models' concrete fields: what is not generated gets the field's default, and
  created_at/updated_at the run's start time.
- Not through the services (they would take days at this scale), but as they would leave the records:
  a certification's status, stage and certificate match its events (certifications.services), loans copy
  their product's terms, schedules come from credit.schedule.generate_schedule and repayments are split
  like credit.services.loan_repay, never above what is outstanding.
- No django-simple-history rows are written for the bulk data: its history starts empty.
"""
