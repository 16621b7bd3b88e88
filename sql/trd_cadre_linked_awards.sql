-- Awards in the quarter won by a supplier linked to a cadre of the same
-- village serving in the quarter (relations business link: legal_rep,
-- shareholder, employee; trading.winner_id = relations.related_id).
-- The linked (village, supplier) pairs are made distinct first, so a project
-- is counted once even when several cadres are linked to its winner.
-- Feeds data points: trd_cadre_linked_awards (column awards),
--                    trd_cadre_linked_value (column linked_value, sum of budget)
SELECT t.village_code,
       COUNT(*) AS awards,
       SUM(t.budget) AS linked_value
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
