-- Awards in the quarter won by a supplier linked to a cadre of the same
-- village serving in the quarter (relations business link: legal_rep,
-- shareholder, employee; trading.winner_id = relations.related_id).
-- The linked (village, supplier) pairs are made distinct first, so a project
-- is counted once even when several cadres are linked to its winner.
-- Of those, `uncompetitive` counts the awards where the procedure or price
-- gave the link room to work: no open procedure (not open_tender or
-- lottery), at most one other bidder, a contract at $near_budget_ratio of
-- the budget or more, or a variation order above $big_variation_share of the
-- contract. A linked firm that wins a genuinely open tender against several
-- bidders at an ordinary price, with no large variation, is not counted
-- there.
-- Feeds data points: trd_cadre_linked_awards (column awards),
--                    trd_cadre_linked_value (column linked_value, sum of budget),
--                    trd_linked_uncompetitive (column uncompetitive)
SELECT t.village_code,
       COUNT(*) AS awards,
       SUM(t.budget) AS linked_value,
       SUM(CASE WHEN t.method NOT IN ('open_tender', 'lottery')
                  OR t.bidder_count IS NULL
                  OR t.bidder_count <= 2
                  OR t.contract_amount >= $near_budget_ratio * t.budget
                  OR t.change_amount > $big_variation_share * t.contract_amount
                THEN 1 ELSE 0 END) AS uncompetitive
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
GROUP BY t.village_code
