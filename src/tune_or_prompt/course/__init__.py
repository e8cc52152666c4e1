"""The course: its pages and lessons' helpers, the numbers glued into prose, the
notebook twins, the decision rules, quizzes and study modes."""
