-- Suspected contract splitting: awards in the quarter with budget just below
-- the approval threshold ([$approval_threshold × (1 − $threshold_band),
-- $approval_threshold), parameters of framework.toml), by direct award, negotiation
-- or inquiry, where the same winner took at least two such awards in the
-- same village in the quarter. Value = number of projects in such clusters.
-- Feeds data point: trd_split_cluster_projects
SELECT g.village_code,
       SUM(g.n) AS value
FROM (
    SELECT village_code, winner_id, COUNT(*) AS n
    FROM trading
    WHERE awarded_date >= $quarter_start
      AND awarded_date < $quarter_end
      AND budget >= $approval_threshold * (1 - $threshold_band)
      AND budget < $approval_threshold
      AND method IN ('direct', 'negotiation', 'inquiry')
      AND winner_id IS NOT NULL
    GROUP BY village_code, winner_id
    HAVING COUNT(*) >= 2
) g
GROUP BY g.village_code
