-- Awards in the quarter won by a supplier linked to a cadre of the same
-- village serving in the quarter (relations business link, as in
-- trd_cadre_linked_awards.sql) where the procedure or price gives the link
-- room to work: no open procedure (not open_tender or lottery), at most
-- one other bidder, a contract at $near_budget_ratio of the budget or
-- more, or a variation order above $big_variation_share of the contract.
-- A linked firm that wins a genuinely open tender against several bidders
-- at an ordinary price, with no large variation, is not counted here (it
-- stays in trd_cadre_linked_share).
-- Feeds data point: trd_linked_uncompetitive
SELECT t.village_code,
       COUNT(*) AS value
FROM trading t
JOIN (
    SELECT DISTINCT c.village_code, r.related_id
    FROM cadres c
    JOIN relations r ON r.person_id = c.person_id
    WHERE r.relation IN ('legal_rep', 'shareholder', 'employee')
      AND c.term_start < $quarter_end
      AND (c.term_end IS NULL OR c.term_end >= $quarter_start)
) l
  ON l.village_code = t.village_code
 AND l.related_id = t.winner_id
WHERE t.awarded_date >= $quarter_start
  AND t.awarded_date < $quarter_end
  AND (t.method NOT IN ('open_tender', 'lottery')
       OR t.bidder_count IS NULL
       OR t.bidder_count <= 2
       OR t.contract_amount >= $near_budget_ratio * t.budget
       OR t.change_amount > $big_variation_share * t.contract_amount)
GROUP BY t.village_code
