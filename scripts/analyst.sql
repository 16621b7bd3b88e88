-- The analyst's anchor (figure (f) of scripts/bench.py): the default
-- framework's data points (indicators/datapoints/*.toml and sql/*.sql, the
-- built-in population and households aside) written by hand in DuckDB, one
-- query per source, every quarter in one pass.
--
-- Placeholders, filled in by the driver (scripts/bench.py, analyst_statements):
--   $quarter_start   first day of the assessed quarter (DATE '2026-07-01')
--   $quarters        how many quarters, the assessed one and those before it
--   $approval_threshold, $threshold_band, $near_budget_ratio,
--   $short_advert_days, $death_stop_days, $big_variation_share
--                    the [[parameter]]s of indicators/framework.toml
-- Tables: petitions, cases, trading, assistance, villages, cadres, relations
-- (views over the extracts with the canonical column names).
--
-- Each source query returns one row per village and quarter: `quarter`
-- ('2026Q3'), `village_code`, then one column per data point, named by its
-- id. Counts and sums are 0 where nothing matched; means (and the top
-- supplier's share) are NULL where there is nothing to average.
-- A statement that follows a `-- name:` line is one result for the driver.
-- Not modelled: qinglian makes a data point unavailable (`not_covered`)
-- when its source has no events in a quarter the window needs; here the
-- values are computed whatever the extract's span.

-- The quarters: k = 0 is the assessed one. Dates are half-open, [start, end).
CREATE OR REPLACE TEMP TABLE quarters AS
WITH s AS (
    SELECT CAST(k AS INTEGER) AS k,
           CAST($quarter_start - to_months(3 * CAST(k AS INTEGER)) AS DATE) AS quarter_start
    FROM range($quarters) r(k)
)
SELECT k,
       CAST(year(quarter_start) AS VARCHAR) || 'Q' || CAST(quarter(quarter_start) AS VARCHAR) AS quarter,
       quarter_start,
       CAST(quarter_start + INTERVAL 3 MONTH AS DATE) AS quarter_end,
       CAST(quarter_start + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS quarter_last,
       CAST(quarter_start - INTERVAL 12 MONTH AS DATE) AS trailing_start,   -- the four quarters before
       CAST(quarter_start - INTERVAL 9 MONTH AS DATE) AS year_start         -- rolling year: this quarter and three before
FROM s;

-- ---------------------------------------------------------------- petitions
-- name: petitions
WITH leaders AS (
    -- secretaries and directors serving in the quarter, once per village and person
    SELECT DISTINCT q.quarter, c.village_code, c.person_id
    FROM cadres c
    JOIN quarters q
      ON c.term_start < q.quarter_end
     AND (c.term_end IS NULL OR c.term_end >= q.quarter_start)
    WHERE c.role IN ('secretary', 'director')
),
p AS (
    -- each petition once per quarter it can count in: received by the
    -- quarter's end (backlog, rolling year, the four quarters before), or
    -- with a reply due in the quarter
    SELECT q.quarter, q.quarter_end, q.quarter_last,
           p.village_code, p.accused_role, p.accused_person_id, p.complainant_key,
           p.is_anonymous, p.is_repeat, p.category, p.finding, p.satisfaction,
           p.received_date, p.due_date, p.closed_date,
           p.kind = 'accusation' AS acc,
           p.received_date >= q.quarter_start AND p.received_date < q.quarter_end AS in_q,
           p.received_date >= q.year_start AND p.received_date < q.quarter_end AS in_year,
           p.received_date >= q.trailing_start AND p.received_date < q.quarter_start AS in_trailing,
           p.due_date >= q.quarter_start AND p.due_date < q.quarter_end AS due_in_q
    FROM petitions p
    JOIN quarters q
      ON p.received_date < q.quarter_end
      OR (p.due_date >= q.quarter_start AND p.due_date < q.quarter_end)
),
complainants AS (
    -- distinct complainants of the quarter; returning: they had also
    -- petitioned about the same village in the four quarters before
    SELECT quarter, village_code,
           COUNT(*) FILTER (WHERE now) AS pet_complainants,
           COUNT(*) FILTER (WHERE now AND before) AS pet_returning_complainants
    FROM (
        SELECT quarter, village_code, complainant_key,
               bool_or(in_q) AS now, bool_or(in_trailing) AS before
        FROM p
        WHERE complainant_key IS NOT NULL AND (in_q OR in_trailing)
        GROUP BY quarter, village_code, complainant_key
    ) k
    GROUP BY quarter, village_code
),
agg AS (
    SELECT p.quarter, p.village_code,
           COUNT(*) FILTER (WHERE in_q) AS pet_total,
           COUNT(*) FILTER (WHERE in_q AND acc) AS pet_accusations,
           COUNT(*) FILTER (WHERE in_q AND is_repeat) AS pet_repeats,
           COUNT(*) FILTER (WHERE in_q AND acc AND accused_role IN ('secretary', 'director')) AS pet_top_accusations,
           COUNT(*) FILTER (WHERE in_q AND acc AND is_repeat AND accused_role IN ('secretary', 'director')) AS pet_repeat_leader_accusations,
           COUNT(*) FILTER (WHERE in_q AND acc AND finding IN ('substantiated', 'partly', 'unsubstantiated')) AS pet_concluded_findings,
           COUNT(*) FILTER (WHERE in_q AND acc AND finding IN ('substantiated', 'partly')) AS pet_substantiated,
           COUNT(*) FILTER (WHERE in_q AND acc AND finding = 'substantiated') AS pet_substantiated_full,
           COUNT(*) FILTER (WHERE in_q AND acc AND is_anonymous = false) AS pet_named_accusations,
           COUNT(*) FILTER (WHERE in_q AND acc AND category IN ('collective_assets', 'projects', 'assistance', 'land')) AS pet_micro_power_accusations,
           COUNT(*) FILTER (WHERE in_q AND satisfaction IS NOT NULL) AS pet_rated,
           COUNT(*) FILTER (WHERE in_q AND satisfaction = 'unsatisfied') AS pet_unsatisfied,
           COUNT(*) FILTER (WHERE in_q AND closed_date < quarter_end) AS pet_closed,
           COUNT(*) FILTER (WHERE in_q AND closed_date < quarter_end AND satisfaction IS NULL) AS pet_closed_unrated,
           COUNT(*) FILTER (WHERE in_year AND acc) AS pet_accusations_year,
           COUNT(*) FILTER (WHERE in_trailing AND acc) AS acc_before,
           -- open at the quarter's end: past due and not closed by then
           COUNT(*) FILTER (WHERE received_date < quarter_end AND due_date < quarter_end
                              AND (closed_date IS NULL OR closed_date >= quarter_end)) AS pet_backlog,
           -- replies due in the quarter, and those closed late or still open
           COUNT(*) FILTER (WHERE due_in_q) AS pet_replies_due,
           COUNT(*) FILTER (WHERE due_in_q AND (closed_date IS NULL OR closed_date > due_date)) AS pet_replies_overdue,
           COUNT(*) FILTER (WHERE in_q AND acc AND l.person_id IS NOT NULL) AS pet_serving_leader_accusations,
           -- days to closure; still open (or closed after it) counts to the quarter's last day
           AVG(LEAST(COALESCE(closed_date, quarter_last), quarter_last) - received_date)
               FILTER (WHERE in_q) AS pet_handling_days
    FROM p
    LEFT JOIN leaders l
      ON l.quarter = p.quarter
     AND l.village_code = p.village_code
     AND l.person_id = p.accused_person_id
    GROUP BY p.quarter, p.village_code
)
SELECT q.quarter, v.village_code,
       COALESCE(COLUMNS(a.* EXCLUDE (quarter, village_code, acc_before, pet_handling_days)), 0),
       a.pet_handling_days,
       COALESCE(c.pet_complainants, 0) AS pet_complainants,
       COALESCE(c.pet_returning_complainants, 0) AS pet_returning_complainants,
       -- accusations against the quarterly mean of the four quarters before, both +1
       (COALESCE(a.pet_accusations, 0) + 1.0) / (COALESCE(a.acc_before, 0) / 4.0 + 1.0) AS pet_accusation_growth_ratio,
       COALESCE(a.pet_accusations + a.acc_before, 0) AS pet_accusation_growth_basis
FROM villages v
CROSS JOIN quarters q
LEFT JOIN agg a ON a.quarter = q.quarter AND a.village_code = v.village_code
LEFT JOIN complainants c ON c.quarter = q.quarter AND c.village_code = v.village_code;

-- -------------------------------------------------------------------- cases
-- name: cases
WITH serving AS (
    -- cadres (any role) serving in the quarter, once per village and person
    SELECT DISTINCT q.quarter, c.village_code, c.person_id
    FROM cadres c
    JOIN quarters q
      ON c.term_start < q.quarter_end
     AND (c.term_end IS NULL OR c.term_end >= q.quarter_start)
),
k AS (
    -- each clue once per quarter it was received by the end of
    SELECT q.quarter, q.quarter_end, q.quarter_last,
           k.village_code, k.subject_person_id, k.subject_role, k.received_date, k.origin,
           k.disposal, k.filed_date, k.closed_date, k.violation, k.amount, k.form,
           k.received_date >= q.quarter_start AS in_q,
           k.received_date >= q.year_start AS in_year,
           k.received_date >= q.trailing_start AND k.received_date < q.quarter_start AS in_trailing
    FROM cases k
    JOIN quarters q ON k.received_date < q.quarter_end
),
repeat_subjects AS (
    -- persons who are the subject of two or more of the village's clues in the rolling year
    SELECT quarter, village_code, COUNT(*) AS case_repeat_subjects
    FROM (
        SELECT quarter, village_code, subject_person_id
        FROM k
        WHERE in_year AND subject_person_id IS NOT NULL
        GROUP BY quarter, village_code, subject_person_id
        HAVING COUNT(*) >= 2
    ) s
    GROUP BY quarter, village_code
),
agg AS (
    SELECT k.quarter, k.village_code,
           COUNT(*) FILTER (WHERE in_q) AS case_clues,
           COUNT(*) FILTER (WHERE in_q AND filed_date IS NOT NULL) AS case_filed,
           COUNT(*) FILTER (WHERE in_q AND form >= 3) AS case_serious_forms,
           COUNT(*) FILTER (WHERE in_q AND form = 4) AS case_prosecution_referrals,
           SUM(amount) FILTER (WHERE in_q) AS case_amount,
           COUNT(*) FILTER (WHERE in_q AND violation IN ('embezzlement', 'false_claims', 'favouritism', 'extortion', 'collective_assets')) AS case_micro_corruption,
           COUNT(*) FILTER (WHERE in_q AND violation IN ('embezzlement', 'false_claims', 'extortion', 'favouritism')) AS case_micro_corruption_clues,
           COUNT(*) FILTER (WHERE in_q AND s.person_id IS NOT NULL) AS case_serving_cadre_subjects,
           -- received in the four quarters before
           COUNT(*) FILTER (WHERE in_trailing) AS case_clues_trailing,
           COUNT(*) FILTER (WHERE in_trailing AND filed_date IS NOT NULL AND filed_date < quarter_end) AS case_filed_trailing,
           COUNT(*) FILTER (WHERE in_trailing AND disposal = 'pending') AS case_pending_trailing,
           -- the rolling year
           COUNT(*) FILTER (WHERE in_year) AS case_clues_year,
           COUNT(*) FILTER (WHERE in_year AND violation = 'embezzlement') AS case_embezzlement_year,
           COUNT(*) FILTER (WHERE in_year AND violation = 'false_claims') AS case_false_claims_year,
           COUNT(*) FILTER (WHERE in_year AND violation = 'favouritism') AS case_favouritism_year,
           COUNT(*) FILTER (WHERE in_year AND violation = 'extortion') AS case_extortion_year,
           COUNT(*) FILTER (WHERE in_year AND origin IN ('inspection', 'audit', 'big_data')) AS case_detected_year,
           COUNT(*) FILTER (WHERE in_year AND subject_role IN ('secretary', 'director')) AS case_leader_subject_year,
           -- the backlog at the quarter's end (everything received by then)
           COUNT(*) FILTER (WHERE disposal = 'pending' AND closed_date IS NULL) AS case_open_clues,
           AVG(LEAST(COALESCE(closed_date, quarter_last), quarter_last) - received_date)
               FILTER (WHERE disposal = 'pending' AND closed_date IS NULL) AS case_open_clue_days
    FROM k
    LEFT JOIN serving s
      ON s.quarter = k.quarter
     AND s.village_code = k.village_code
     AND s.person_id = k.subject_person_id
    GROUP BY k.quarter, k.village_code
)
SELECT q.quarter, v.village_code,
       COALESCE(COLUMNS(a.* EXCLUDE (quarter, village_code, case_open_clue_days)), 0),
       a.case_open_clue_days,
       COALESCE(r.case_repeat_subjects, 0) AS case_repeat_subjects
FROM villages v
CROSS JOIN quarters q
LEFT JOIN agg a ON a.quarter = q.quarter AND a.village_code = v.village_code
LEFT JOIN repeat_subjects r ON r.quarter = q.quarter AND r.village_code = v.village_code;

-- ------------------------------------------------------------------ trading
-- name: trading
WITH linked AS (
    -- suppliers linked (legal representative, shareholder, employee) to a
    -- cadre of the village serving in the quarter, once per village and supplier
    SELECT DISTINCT q.quarter, c.village_code, r.related_id AS winner_id
    FROM cadres c
    JOIN relations r ON r.person_id = c.person_id
    JOIN quarters q
      ON c.term_start < q.quarter_end
     AND (c.term_end IS NULL OR c.term_end >= q.quarter_start)
    WHERE r.relation IN ('legal_rep', 'shareholder', 'employee')
),
t AS (
    -- each award once per quarter whose rolling year it falls in
    SELECT q.quarter,
           t.village_code, t.method, t.budget, t.contract_amount, t.bidder_count, t.winner_id,
           t.announced_date, t.bid_deadline, t.awarded_date, t.start_date, t.change_amount, t.publicized,
           t.awarded_date >= q.quarter_start AS in_q
    FROM trading t
    JOIN quarters q ON t.awarded_date >= q.year_start AND t.awarded_date < q.quarter_end
),
suppliers AS (
    -- per village and winner: budget won in the rolling year, and the
    -- quarter's awards just under the approval threshold by a method without a call for bids
    SELECT quarter, village_code, winner_id,
           SUM(budget) AS won,
           COUNT(*) FILTER (WHERE in_q
                              AND budget >= $approval_threshold * (1 - $threshold_band)
                              AND budget < $approval_threshold
                              AND method IN ('direct', 'negotiation', 'inquiry')) AS under_threshold
    FROM t
    WHERE winner_id IS NOT NULL
    GROUP BY quarter, village_code, winner_id
),
concentration AS (
    SELECT quarter, village_code,
           MAX(won) / SUM(won) AS trd_top_supplier_budget_share,
           -- suspected splitting: the same winner took two or more such awards
           SUM(under_threshold) FILTER (WHERE under_threshold >= 2) AS trd_split_cluster_projects
    FROM suppliers
    GROUP BY quarter, village_code
),
agg AS (
    SELECT t.quarter, t.village_code,
           COUNT(*) FILTER (WHERE in_q) AS trd_projects,
           SUM(budget) FILTER (WHERE in_q) AS trd_budget,
           SUM(budget) FILTER (WHERE in_q AND method IN ('direct', 'negotiation')) AS trd_noncompetitive_budget,
           COUNT(*) FILTER (WHERE in_q AND method = 'direct') AS trd_direct_awards,
           COUNT(*) FILTER (WHERE in_q AND method <> 'direct') AS trd_not_direct,
           COUNT(*) FILTER (WHERE in_q AND method <> 'direct' AND announced_date IS NULL) AS trd_unannounced,
           COUNT(*) FILTER (WHERE in_q AND method <> 'direct' AND bidder_count IS NOT NULL) AS trd_bid_procedures,
           COUNT(*) FILTER (WHERE in_q AND method <> 'direct' AND bidder_count = 1) AS trd_single_bids,
           AVG(bidder_count) FILTER (WHERE in_q AND method <> 'direct') AS trd_bidders_mean,
           COUNT(*) FILTER (WHERE in_q AND contract_amount IS NOT NULL) AS trd_contracted,
           SUM(contract_amount) FILTER (WHERE in_q) AS trd_contract_sum,
           SUM(change_amount) FILTER (WHERE in_q AND contract_amount IS NOT NULL) AS trd_change_sum,
           COUNT(*) FILTER (WHERE in_q AND contract_amount >= $near_budget_ratio * budget) AS trd_near_budget,
           COUNT(*) FILTER (WHERE in_q AND contract_amount > budget) AS trd_over_budget,
           COUNT(*) FILTER (WHERE in_q AND change_amount > $big_variation_share * contract_amount) AS trd_big_variations,
           COUNT(*) FILTER (WHERE in_q AND budget >= $approval_threshold * (1 - $threshold_band)
                              AND budget < $approval_threshold) AS trd_below_threshold,
           COUNT(*) FILTER (WHERE in_q AND start_date IS NOT NULL) AS trd_started,
           COUNT(*) FILTER (WHERE in_q AND start_date < awarded_date) AS trd_started_early,
           COUNT(*) FILTER (WHERE in_q AND publicized = false) AS trd_unpublished,
           COUNT(*) FILTER (WHERE in_q AND announced_date IS NOT NULL AND bid_deadline IS NOT NULL) AS trd_advertised,
           COUNT(*) FILTER (WHERE in_q AND bid_deadline - announced_date < $short_advert_days) AS trd_short_advert,
           COUNT(*) FILTER (WHERE t.winner_id IS NOT NULL) AS trd_awarded_year,
           -- awards to cadre-linked suppliers; uncompetitive: no open
           -- procedure, at most two bidders, a ceiling price or a big variation
           COUNT(*) FILTER (WHERE in_q AND l.winner_id IS NOT NULL) AS trd_cadre_linked_awards,
           SUM(budget) FILTER (WHERE in_q AND l.winner_id IS NOT NULL) AS trd_cadre_linked_value,
           COUNT(*) FILTER (WHERE in_q AND l.winner_id IS NOT NULL
                              AND (method NOT IN ('open_tender', 'lottery')
                                   OR bidder_count IS NULL
                                   OR bidder_count <= 2
                                   OR contract_amount >= $near_budget_ratio * budget
                                   OR change_amount > $big_variation_share * contract_amount)) AS trd_linked_uncompetitive
    FROM t
    LEFT JOIN linked l
      ON l.quarter = t.quarter
     AND l.village_code = t.village_code
     AND l.winner_id = t.winner_id
    GROUP BY t.quarter, t.village_code
)
SELECT q.quarter, v.village_code,
       COALESCE(COLUMNS(a.* EXCLUDE (quarter, village_code, trd_bidders_mean)), 0),
       a.trd_bidders_mean,
       COALESCE(s.trd_split_cluster_projects, 0) AS trd_split_cluster_projects,
       s.trd_top_supplier_budget_share
FROM villages v
CROSS JOIN quarters q
LEFT JOIN agg a ON a.quarter = q.quarter AND a.village_code = v.village_code
LEFT JOIN concentration s ON s.quarter = q.quarter AND s.village_code = v.village_code;

-- --------------------------------------------------------------- assistance
-- name: assistance
WITH people AS (
    -- serving cadres of the village and their kin, once per quarter, village and person
    SELECT quarter, village_code, person_id, bool_or(cadre) AS cadre, bool_or(NOT cadre) AS kin
    FROM (
        SELECT q.quarter, c.village_code, c.person_id, true AS cadre
        FROM cadres c
        JOIN quarters q
          ON c.term_start < q.quarter_end
         AND (c.term_end IS NULL OR c.term_end >= q.quarter_start)
        UNION ALL
        SELECT q.quarter, c.village_code, r.related_id, false
        FROM cadres c
        JOIN relations r ON r.person_id = c.person_id
        JOIN quarters q
          ON c.term_start < q.quarter_end
         AND (c.term_end IS NULL OR c.term_end >= q.quarter_start)
        WHERE r.relation IN ('spouse', 'parent', 'child', 'sibling', 'in_law', 'other_kin')
    ) p
    GROUP BY quarter, village_code, person_id
),
-- Each enrolment once per quarter it is active in or was approved in (the
-- quarter and the four before, for the growth ratio). Not materialised:
-- reading the file again per use, with that use's filter pushed into the
-- scan, is cheaper than storing two rows per enrolment.
a AS NOT MATERIALIZED (
    SELECT q.quarter, q.quarter_start,
           a.village_code, a.person_id, a.household_id, a.program, a.approved_date,
           a.end_date, a.last_review_date, a.death_date, a.asset_flag, a.kin_filed,
           a.program IN ('dibao', 'tekun') AS means_tested,
           a.start_date < q.quarter_end AND (a.end_date IS NULL OR a.end_date >= q.quarter_start) AS active,
           a.approved_date >= q.quarter_start AND a.approved_date < q.quarter_end AS in_q,
           a.approved_date >= q.year_start AND a.approved_date < q.quarter_end AS in_year,
           a.approved_date >= q.trailing_start AND a.approved_date < q.quarter_start AS in_trailing
    FROM assistance a
    JOIN quarters q
      ON (a.start_date < q.quarter_end AND (a.end_date IS NULL OR a.end_date >= q.quarter_start))
      OR (a.approved_date >= q.trailing_start AND a.approved_date < q.quarter_end)
),
households AS (
    -- duplicate receipt: a household's active dibao/tekun enrolments in one
    -- programme that come from two or more approvals, or list one person twice
    SELECT quarter, village_code,
           SUM(enrolments) FILTER (WHERE first_approval <> last_approval OR most > 1) AS asst_duplicate_household
    FROM (
        SELECT quarter, village_code, household_id, program,
               MIN(first_approval) AS first_approval,
               MAX(last_approval) AS last_approval,
               SUM(n) AS enrolments,
               MAX(n) AS most
        FROM (
            SELECT quarter, village_code, household_id, program, person_id,
                   MIN(approved_date) AS first_approval,
                   MAX(approved_date) AS last_approval,
                   COUNT(*) AS n
            FROM a
            WHERE active AND means_tested
            GROUP BY quarter, village_code, household_id, program, person_id
        ) per_person
        GROUP BY quarter, village_code, household_id, program
    ) h
    GROUP BY quarter, village_code
),
matches AS (
    -- dibao/tekun enrolments of the village's serving cadres themselves and of their kin
    SELECT a.quarter, a.village_code,
           COUNT(*) FILTER (WHERE active AND p.cadre) AS asst_cadre_beneficiaries,
           COUNT(*) FILTER (WHERE in_q AND p.kin) AS asst_kin_new,
           COUNT(*) FILTER (WHERE active AND p.kin) AS asst_kin_active,
           COUNT(*) FILTER (WHERE active AND p.kin AND kin_filed = false) AS asst_kin_unfiled
    FROM a
    JOIN people p
      ON p.quarter = a.quarter AND p.village_code = a.village_code AND p.person_id = a.person_id
    WHERE means_tested
    GROUP BY a.quarter, a.village_code
),
agg AS (
    SELECT quarter, village_code,
           COUNT(*) FILTER (WHERE active) AS asst_active_all,
           COUNT(*) FILTER (WHERE active AND program = 'dibao') AS asst_active_dibao,
           COUNT(*) FILTER (WHERE active AND means_tested) AS asst_active_means_tested,
           COUNT(*) FILTER (WHERE active AND means_tested AND asset_flag) AS asst_active_asset_flagged,
           COUNT(*) FILTER (WHERE in_q AND means_tested) AS asst_new_means_tested,
           COUNT(*) FILTER (WHERE in_q AND means_tested AND asset_flag) AS asst_new_asset_flagged,
           COUNT(*) FILTER (WHERE in_year AND means_tested) AS asst_new_means_tested_year,
           COUNT(*) FILTER (WHERE in_trailing AND means_tested) AS new_before,
           -- last review (or the approval) more than a year before the quarter began
           COUNT(*) FILTER (WHERE active AND means_tested
                              AND COALESCE(last_review_date, approved_date) + INTERVAL 1 YEAR < quarter_start) AS asst_overdue_reviews,
           -- died before the quarter began; paid: not stopped within $death_stop_days of the death
           COUNT(*) FILTER (WHERE active AND death_date < quarter_start) AS asst_deceased_active,
           COUNT(*) FILTER (WHERE active AND death_date < quarter_start
                              AND (end_date IS NULL OR end_date - death_date > $death_stop_days)) AS asst_deceased_paid
    FROM a
    GROUP BY quarter, village_code
)
SELECT q.quarter, v.village_code,
       COALESCE(COLUMNS(a.* EXCLUDE (quarter, village_code, new_before)), 0),
       COALESCE(COLUMNS(m.* EXCLUDE (quarter, village_code)), 0),
       COALESCE(h.asst_duplicate_household, 0) AS asst_duplicate_household,
       -- new approvals against the quarterly mean of the four quarters before, both +1
       (COALESCE(a.asst_new_means_tested, 0) + 1.0) / (COALESCE(a.new_before, 0) / 4.0 + 1.0) AS asst_new_approval_growth_ratio
FROM villages v
CROSS JOIN quarters q
LEFT JOIN agg a ON a.quarter = q.quarter AND a.village_code = v.village_code
LEFT JOIN matches m ON m.quarter = q.quarter AND m.village_code = v.village_code
LEFT JOIN households h ON h.quarter = q.quarter AND h.village_code = v.village_code;
